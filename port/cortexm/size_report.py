#!/usr/bin/env python3
# size_report.py - a board image's size report, run after each link
# (cmake/cb_cortexm.cmake): arm-none-eabi-size of the image, then flash and
# static RAM split by part - the core's modules, lwIP's pools, heap and
# buffers, the board (port/cortexm and the board's drivers), the stacks -
# read from the linker map, against the part's sizes (--flash-kib,
# --ram-kib). Prints it and writes it to --out. Python 3 standard library.

import argparse
import os
import re
import subprocess
import sys

RAM_SECTIONS = (".data", ".bss", ".stack")
FLASH_SECTIONS = (".text", ".ARM.exidx", ".data")  # .data: its initial values


def parse_map(path):
    """Input sections of the output sections we care about:
    [(output_section, input_section, size, origin)]."""
    out = []
    cur = None
    pending = None  # an input section name whose address/size wrapped
    in_map = False
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("Linker script and memory map"):
                in_map = True
                continue
            if not in_map:
                continue
            m = re.match(r"^(\.[\w.]+)\s+0x[0-9a-f]+\s+0x[0-9a-f]+", line)
            if m and not line.startswith(" "):
                cur = m.group(1)
                pending = None
                continue
            if re.match(r"^(\.[\w.]+)\s*$", line):  # output section, address on the next line
                cur = line.strip()
                pending = None
                continue
            if cur is None:
                continue
            m = re.match(r"^ (\S+)\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(.*)$", line)
            if m:
                out.append((cur, m.group(1), int(m.group(3), 16), m.group(4).strip()))
                pending = None
                continue
            m = re.match(r"^ (\S+)\s*$", line)
            if m and not line.startswith("  "):
                pending = m.group(1)
                continue
            m = re.match(r"^\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(.*)$", line)
            if m and pending:
                out.append((cur, pending, int(m.group(2), 16), m.group(3).strip()))
                pending = None
    return out


def owner(origin):
    """(library, object) from a map origin such as
    'boards/.../libcb_lwip_<board>.a(memp.c.obj)' or '.../main.c.obj'."""
    m = re.match(r"^(.*?)\(([^)]*)\)$", origin or "")
    if m:
        return os.path.basename(m.group(1)), m.group(2)
    return "", os.path.basename(origin)


def ram_category(insec, origin, section):
    lib, obj = owner(origin)
    if section == ".stack":  # reserved by the linker script: one *fill*
        return "stacks: main (app loop + interrupts)"
    if insec == "*fill*":
        return "alignment padding"
    if "s_thread_stack" in insec:
        return "stacks: lwIP tcpip thread"
    if "libcb_lwip_" in lib:
        if "memp_memory_" in insec:
            return "lwIP pools (pcbs, netconns, pbufs, segments)"
        if "ram_heap" in insec:
            return "lwIP heap (MEM_SIZE: outgoing data)"
        return "lwIP other (sockets, stats, state)"
    if "libcb_mbedtls" in lib:
        return "Mbed TLS"
    if "cb_tls_mbedtls" in obj:  # HTTPS images
        return "TLS: Mbed TLS heap and sessions (cb_tls)"
    if "cb_loop" in obj:
        return "loop: socket slots and receive buffers"
    if "libcb_core_" in lib:
        name = obj.replace(".c.obj", "").replace(".obj", "")
        if name in ("cb_server", "cb_signal", "cb_inbox", "cb_ledger", "cb_journal"):
            return "core: %s" % name
        return "core: other modules"
    if lib.startswith("libc") or lib.startswith("libg") or lib.startswith("libnosys") or "newlib" in origin:
        return "newlib"
    if "/port/cortexm/" in origin or "cb_net_glue" in obj:
        return "board: port/cortexm (main, console, storage)"
    return "board: drivers and settings (boards/<name>)"


def flash_category(origin):
    lib, obj = owner(origin)
    if "libcb_lwip_" in lib:
        return "lwIP"
    if "libcb_mbedtls" in lib:
        return "Mbed TLS"
    if "libcb_core_" in lib:
        return "core (app/ + glue)"
    if "cb_tls_mbedtls" in obj:
        return "TLS glue (cb_tls)"
    if "cb_loop" in obj:
        return "loop (port/sock)"
    if lib.startswith("libc") or lib.startswith("libgcc") or lib.startswith("libm") or lib.startswith("libnosys"):
        return "newlib + libgcc"
    if "/port/cortexm/" in origin or "cb_net_glue" in obj:
        return "board: port/cortexm"
    return "board: drivers (boards/<name>)"


def table(title, rows, total):
    lines = [title]
    for name, size in sorted(rows.items(), key=lambda kv: -kv[1]):
        lines.append("  %-46s %8d  %6.1f KiB" % (name, size, size / 1024.0))
    lines.append("  %-46s %8d  %6.1f KiB" % ("total", total, total / 1024.0))
    return lines


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--elf", required=True)
    ap.add_argument("--map", required=True)
    ap.add_argument("--size", default="arm-none-eabi-size")
    ap.add_argument("--out")
    ap.add_argument("--flash-kib", type=int, help="the part's flash for the image")
    ap.add_argument("--ram-kib", type=int, help="the part's SRAM")
    a = ap.parse_args()

    lines = ["size report: %s" % os.path.basename(a.elf)]
    try:
        berkeley = subprocess.run([a.size, a.elf], check=True, capture_output=True, text=True).stdout
        lines += ["  " + ln for ln in berkeley.rstrip("\n").split("\n")]
    except (OSError, subprocess.CalledProcessError) as e:
        lines.append("  (%s failed: %s)" % (a.size, e))

    secs = parse_map(a.map)
    ram, flash = {}, {}
    ram_total = flash_total = 0
    for section, insec, size, origin in secs:
        if size == 0:
            continue
        if section in RAM_SECTIONS:
            c = ram_category(insec, origin, section)
            ram[c] = ram.get(c, 0) + size
            ram_total += size
        if section in FLASH_SECTIONS:
            c = flash_category(origin)
            flash[c] = flash.get(c, 0) + size
            flash_total += size
    lines += table("flash (the image: .text, .rodata, .data initialisers), bytes:", flash, flash_total)
    if a.flash_kib:
        lines.append("  of the part's %d KiB for the image: %.0f%%" % (a.flash_kib, 100.0 * flash_total / (a.flash_kib * 1024)))
    lines += table("static RAM (.data + .bss + stacks), bytes:", ram, ram_total)
    if a.ram_kib:
        lines.append("  of the part's %d KiB: %.0f%%" % (a.ram_kib, 100.0 * ram_total / (a.ram_kib * 1024)))
    text = "\n".join(lines)
    print(text)
    if a.out:
        with open(a.out, "w") as f:
            f.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
