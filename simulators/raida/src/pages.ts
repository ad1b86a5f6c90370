/**
 * Which serial numbers a raidax-server RAIDA has a record for: its AN table is 1000 page files of
 * 1024 records per denomination -8..6 (db.h TOTAL_PAGES, RECORDS_PER_PAGE, MIN/MAX_DENOMINATION;
 * db.c init_db creates them all at start-up, each record an MD5 of a seeded string until a coin is
 * powned there).
 */
import {
  fixAn,
  MAX_DENOMINATION,
  MIN_DENOMINATION,
  PAGES_PER_DENOMINATION,
  RECORDS_PER_PAGE,
} from '@fanout/raida';

/** "blank-record-AN!" (16 bytes): the PG slot of the derivation in {@link blankAn}. */
const BLANK_PG = Uint8Array.from('blank-record-AN!', (c) => c.charCodeAt(0));

/**
 * The serial number of the record raidax-server reads for (den, sn), or `null` when it has no page
 * file for it. db.c get_page_by_sn_lock computes `uint16_t page_no = sn / RECORDS_PER_PAGE`, so the
 * page number wraps at 65 536 pages: an SN ≥ 67 108 864 whose wrapped page is < 1000 reads the
 * record of a small SN (page_no × 1024 + sn % 1024). Every other SN ≥ 1 024 000 and every
 * denomination outside -8..6 has no page file (load_page_from_disk fails → NULL).
 * @param den denomination (int8)
 * @param sn serial number (u32)
 */
export function pageRecord(den: number, sn: number): number | null {
  if (!Number.isInteger(den) || den < MIN_DENOMINATION || den > MAX_DENOMINATION) return null;
  if (!Number.isInteger(sn) || sn < 0 || sn > 0xffff_ffff) return null;
  const page = Math.floor(sn / RECORDS_PER_PAGE) & 0xffff;
  if (page >= PAGES_PER_DENOMINATION) return null;
  return page * RECORDS_PER_PAGE + (sn % RECORDS_PER_PAGE);
}

/**
 * The AN an in-range record holds before any coin was installed there: raidax-server fills new
 * page files with MD5(seeded string) per record (db.c init_page), a value no client knows. Here:
 * the fix derivation MD5(raida id ‖ den ‖ SN ‖ "blank-record-AN!"), deterministic per server and
 * record (16 bytes).
 * Used as the key of an encryption type 1 request naming such a token: the CRC of the challenge
 * then fails (37), as on the real server.
 */
export function blankAn(raidaId: number, den: number, recordSn: number): Uint8Array {
  return fixAn(raidaId, den, recordSn, BLANK_PG);
}
