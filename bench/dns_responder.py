#!/usr/bin/python3
"""An authoritative answer for the dns workload of bench/run.py: every A question gets one record,
127.0.0.1 with a TTL of 60, every other type NOERROR without records. Listens on UDP ADDRESS:53
(only inside the bench's own network namespace). Kept minimal so that it keeps up with the
benchmark's rates on one core; its CPU is not part of any figure.

Usage: dns_responder.py ADDRESS"""
import socket
import struct
import sys


def answer(query):
    if len(query) < 12:
        return None
    qid, flags, qdcount = struct.unpack("!HHH", query[:6])
    if flags & 0x8000 or qdcount != 1:
        return None
    end = 12
    while end < len(query) and query[end] != 0:
        end += query[end] + 1
    question = query[12:end + 5]
    if len(question) < end - 12 + 5:
        return None
    qtype = struct.unpack("!H", query[end + 1:end + 3])[0]
    records = b""
    count = 0
    if qtype == 1:
        # A pointer to the question's name, type A, class IN, TTL 60, 4 bytes of address.
        records = struct.pack("!HHHIH", 0xC00C, 1, 1, 60, 4) + bytes([127, 0, 0, 1])
        count = 1
    # QR, AA, RD copied, RA; RCODE 0.
    header = struct.pack("!HHHHHH", qid, 0x8400 | (flags & 0x0100) | 0x0080, 1, count, 0, 0)
    return header + question + records


def main():
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    sock.bind((sys.argv[1], 53))
    while True:
        query, peer = sock.recvfrom(512)
        reply = answer(query)
        if reply:
            sock.sendto(reply, peer)


if __name__ == "__main__":
    main()
