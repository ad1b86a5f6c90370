/**
 * Prometheus metrics with the seed's names (seeds/004 "Prometheus Metrics" and the Grafana
 * dashboard's `daa_coordinator_tasks_completed_total`), through prom-client with one Registry per
 * coordinator and no default (process) metrics, so many coordinators can live in one process.
 * Durations are observed in seconds of the coordinator's Clock (virtual time in simulation).
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Metric names, as in the seed. */
export const METRIC_NAMES = {
  activeNodes: 'daa_coordinator_active_nodes',
  activeRounds: 'daa_coordinator_active_rounds',
  taskCompletionTime: 'daa_coordinator_task_completion_time',
  consensusDuration: 'daa_coordinator_consensus_duration',
  byzantineFaults: 'daa_coordinator_byzantine_faults_detected',
  tasksCompleted: 'daa_coordinator_tasks_completed_total',
} as const;

/** Live values the gauges read at scrape time. */
export interface MetricsSources {
  activeNodes(): number;
  activeRounds(): number;
}

/** The coordinator's metrics. */
export class CoordinatorMetrics {
  /** This coordinator's own registry (not prom-client's global one). */
  readonly registry = new Registry();
  readonly #taskTime: Histogram<'status'>;
  readonly #consensus: Histogram<'status'>;
  readonly #byzantine: Counter<'reason'>;
  readonly #tasks: Counter;

  /** @param labels constant labels on every series (e.g. { coordinator: 'coordinator-001' }). */
  constructor(sources: MetricsSources, labels: Record<string, string> = {}) {
    this.registry.setDefaultLabels(labels);
    const registers = [this.registry];
    new Gauge({
      name: METRIC_NAMES.activeNodes,
      help: 'Registered nodes heard from within the heartbeat timeout.',
      registers,
      collect() {
        this.set(sources.activeNodes());
      },
    });
    new Gauge({
      name: METRIC_NAMES.activeRounds,
      help: 'Training rounds started and not yet decided.',
      registers,
      collect() {
        this.set(sources.activeRounds());
      },
    });
    this.#taskTime = new Histogram({
      name: METRIC_NAMES.taskCompletionTime,
      help: 'Seconds (coordinator clock) from sending a training task to receiving its update.',
      labelNames: ['status'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600],
      registers,
    });
    this.#consensus = new Histogram({
      name: METRIC_NAMES.consensusDuration,
      help: 'Seconds (coordinator clock) from the start of a round to its commit or failure.',
      labelNames: ['status'],
      buckets: [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1200],
      registers,
    });
    this.#byzantine = new Counter({
      name: METRIC_NAMES.byzantineFaults,
      help: 'Updates rejected as Byzantine, by detection reason.',
      labelNames: ['reason'],
      registers,
    });
    this.#tasks = new Counter({
      name: METRIC_NAMES.tasksCompleted,
      help: 'Training tasks that returned a well-formed update.',
      registers,
    });
  }

  /** A task answered (status 'received' or 'rejected') after `ms` of clock time. */
  observeTask(ms: number, status: 'received' | 'rejected'): void {
    this.#taskTime.observe({ status }, ms / 1000);
    if (status === 'received') this.#tasks.inc();
  }

  /** A round was decided `ms` after it started. */
  observeDecision(ms: number, status: 'committed' | 'failed'): void {
    this.#consensus.observe({ status }, ms / 1000);
  }

  /** An update was rejected as Byzantine for `reason`. */
  byzantineDetected(reason: string): void {
    this.#byzantine.inc({ reason });
  }

  /** The exposition text (Prometheus text format 0.0.4). */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  /** Content-Type of {@link CoordinatorMetrics.text}. */
  get contentType(): string {
    return this.registry.contentType;
  }
}
