#!/usr/bin/env python3
"""A client in another language, against fanout-lab's stand-alone simulators (`fanout sim ...`).

Standard library only. Prints one JSON object per command on stdout.

  fanout_client.py raida-echo HOST PORT RAIDA_ID [TIMEOUT_S]
      RAIDAX echo (group 0, command 0, encryption 0): a 32-byte header, a 16-byte challenge
      (12 random bytes + their CRC32, big-endian) and the 0x3E3E terminator. Prints
      {"status": 250, "echo_matches": true, "signed": true} or {"timeout": true}.
  fanout_client.py hubert-put URL ARID_UR ENVELOPE_UR
  fanout_client.py hubert-get URL ARID_UR
      Hubert's HTTP API: POST /put with "ur:arid\\nur:envelope", POST /get with "ur:arid".
      Prints {"status": <http status>, "body": "<text>"}.
"""
import json
import os
import socket
import struct
import sys
import urllib.error
import urllib.request
import zlib


def raida_echo(host: str, port: int, raida_id: int, timeout_s: float) -> dict:
    random12 = os.urandom(12)
    challenge = random12 + struct.pack(">I", zlib.crc32(random12) & 0xFFFFFFFF)
    body = challenge + b"\x3e\x3e"
    nonce = os.urandom(6)
    echo = os.urandom(2)
    header = bytes([1, 0, raida_id, 0, 0, 0]) + struct.pack(">H", 6) + bytes(8)
    header += bytes([0, 0]) + bytes(4) + struct.pack(">H", len(body)) + nonce + echo
    assert len(header) == 32
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout_s)
        s.sendto(header + body, (host, port))
        try:
            reply, _ = s.recvfrom(2048)
        except socket.timeout:
            return {"timeout": True}
    return {
        "raida": reply[0],
        "status": reply[2],
        "echo_matches": reply[6:8] == echo,
        "signed": reply[16:32] == challenge,
    }


def hubert(url: str, path: str, text: str) -> dict:
    req = urllib.request.Request(url + path, data=text.encode("utf-8"), method="POST")
    try:
        with urllib.request.urlopen(req, timeout=10) as res:
            return {"status": res.status, "body": res.read().decode("utf-8")}
    except urllib.error.HTTPError as e:
        return {"status": e.code, "body": e.read().decode("utf-8")}


def main(argv: list) -> int:
    cmd = argv[1]
    if cmd == "raida-echo":
        timeout = float(argv[5]) if len(argv) > 5 else 1.0
        out = raida_echo(argv[2], int(argv[3]), int(argv[4]), timeout)
    elif cmd == "hubert-put":
        out = hubert(argv[2], "/put", argv[3] + "\n" + argv[4])
    elif cmd == "hubert-get":
        out = hubert(argv[2], "/get", argv[3])
    else:
        print(json.dumps({"error": "unknown command " + cmd}))
        return 2
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
