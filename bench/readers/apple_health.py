#!/usr/bin/python3
"""apple_health.py BUILD [MB] - pat's Apple Health reader against Python's
streaming xml.etree.ElementTree.iterparse (what the anchors use) on the same
generated export.xml, in the same run (make bench-readers).

Both sides turn the export into per-minute steps with the same rules (a
StepCount record spread over [startDate, endDate) by overlap; per minute the
best-ranked source class, watch > phone > other, wins) so that their totals
can be compared. Prints the file size, each side's throughput (MB/s) and
peak RSS, the ratio, pat's peak RSS on a file a tenth the size (memory must
not grow with the file), and the difference of the two step totals.
Standard library only; pat itself never needs Python."""
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

STEP = "HKQuantityTypeIdentifierStepCount"
HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE HealthData [
<!-- HealthKit Export Version: 14 -->
<!ELEMENT HealthData (ExportDate,Me,(Record|Correlation|Workout|ActivitySummary)*)>
<!ATTLIST HealthData locale CDATA #REQUIRED>
<!ELEMENT ExportDate EMPTY>
<!ATTLIST ExportDate value CDATA #REQUIRED>
<!ELEMENT Me EMPTY>
<!ATTLIST Me HKCharacteristicTypeIdentifierDateOfBirth CDATA #REQUIRED>
<!ELEMENT Record ((MetadataEntry|HeartRateVariabilityMetadataList)*)>
<!ATTLIST Record type CDATA #REQUIRED unit CDATA #IMPLIED value CDATA #IMPLIED
  sourceName CDATA #REQUIRED sourceVersion CDATA #IMPLIED device CDATA #IMPLIED
  creationDate CDATA #IMPLIED startDate CDATA #REQUIRED endDate CDATA #REQUIRED>
<!ELEMENT MetadataEntry EMPTY>
<!ATTLIST MetadataEntry key CDATA #REQUIRED value CDATA #REQUIRED>
]>
<HealthData locale="en_GB">
 <ExportDate value="2024-03-12 09:00:00 +0100"/>
 <Me HKCharacteristicTypeIdentifierDateOfBirth="1990-01-01"/>
"""
WATCH = ('sourceName="Alice\u2019s Apple\u00a0Watch" sourceVersion="10.3" device="&lt;&lt;HKDevice: '
         '0x283f4d2c0&gt;, name:Apple Watch, manufacturer:Apple Inc., model:Watch, '
         'hardware:Watch6,1, software:10.3&gt;"')
PHONE = ('sourceName="Alice\u2019s iPhone" sourceVersion="17.3" device="&lt;&lt;HKDevice: '
         '0x2834&gt;, name:iPhone, manufacturer:Apple Inc., model:iPhone, '
         'hardware:iPhone14,5, software:17.3&gt;"')
REC = (' <Record type="{t}" {src} unit="{u}" creationDate="{c}" startDate="{s}" endDate="{e}" '
       'value="{v}"{tail}\n')
HR_TAIL = ('>\n  <MetadataEntry key="HKMetadataKeyHeartRateMotionContext" value="0"/>\n'
           ' </Record>')


def stamp(day, sec):
    """Date-time of second `sec` of day `day` after 2021-01-01 (no DST: +0100)."""
    import datetime
    d = datetime.date(2021, 1, 1) + datetime.timedelta(days=day + sec // 86400)
    sec %= 86400
    return "%s %02d:%02d:%02d +0100" % (d.isoformat(), sec // 3600, sec // 60 % 60, sec % 60)


def generate(path, mb):
    """Days of watch and phone steps, heart rate and energy records until
    the file reaches mb megabytes (whole days)."""
    with open(path, "w", encoding="utf-8") as f:
        f.write(HEAD)
        day = 0
        while f.tell() < mb * 1e6:
            out = []
            for k in range(0, 86400, 120):  # a watch step record every 2 minutes
                a, b = stamp(day, k), stamp(day, k + 90)
                out.append(REC.format(t=STEP, src=WATCH, u="count", c=b, s=a, e=b,
                                      v=(k // 120) % 37 + 1, tail="/>"))
                if k % 600 == 0:  # the phone counts some of the same steps
                    out.append(REC.format(t=STEP, src=PHONE, u="count", c=b, s=a,
                                          e=stamp(day, k + 300), v=40, tail="/>"))
            for k in range(0, 86400, 60):  # heart rate and energy every minute
                a = stamp(day, k)
                out.append(REC.format(t="HKQuantityTypeIdentifierHeartRate", src=WATCH,
                                      u="count/min", c=a, s=a, e=a, v=60 + k % 40, tail=HR_TAIL))
                out.append(REC.format(t="HKQuantityTypeIdentifierActiveEnergyBurned", src=WATCH,
                                      u="kcal", c=a, s=a, e=stamp(day, k + 60), v="0.512",
                                      tail="/>"))
            f.write("".join(out))
            day += 1
        f.write("</HealthData>\n")
    return os.path.getsize(path)


def minute_ms(s):
    """'YYYY-MM-DD HH:MM:SS +hhmm' -> wall-clock milliseconds (offset not applied)."""
    import calendar
    days = calendar.timegm((int(s[0:4]), int(s[5:7]), int(s[8:10]), 0, 0, 0)) // 86400
    return ((days * 24 + int(s[11:13])) * 60 + int(s[14:16])) * 60000 + int(s[17:19]) * 1000


def reference(path):
    """iterparse with the root cleared as it goes (flat memory), the same rules as pat."""
    value, rank = {}, {}
    context = ET.iterparse(path, events=("start", "end"))
    _, root = next(context)
    for event, el in context:
        if event != "end" or el.tag != "Record":
            continue
        if el.get("type") == STEP:
            src = (el.get("device") or "") + (el.get("sourceName") or "")
            c = 3 if "Watch" in src else 2 if "iPhone" in src else 1
            s, e, v = minute_ms(el.get("startDate")), minute_ms(el.get("endDate")), float(el.get("value"))
            m0, m1 = s // 60000, (e - 1) // 60000 if e > s else s // 60000
            for m in range(m0, m1 + 1):
                share = v if e <= s else v * (min(e, (m + 1) * 60000) - max(s, m * 60000)) / (e - s)
                r = rank.get(m, 0)
                if r < c:
                    value[m], rank[m] = share, c
                elif r == c:
                    value[m] += share
        root.clear()
    return sum(value.values())


def run(cmd, stdout=None):
    """Run cmd under GNU time; return (wall s, CPU s, peak RSS MB). (The
    rusage of a child forked from Python would count Python's own pages.)"""
    with tempfile.NamedTemporaryFile("r") as t:
        subprocess.run(["/usr/bin/time", "-o", t.name, "-f", "%e %U %S %M"] + cmd, check=True,
                       stdout=stdout)
        wall, user, system, kb = t.read().split()[-4:]
    return float(wall), float(user) + float(system), int(kb) / 1024


def pat_total(pat, path, tmp):
    d, x = os.path.join(tmp, "d.patd"), os.path.join(tmp, "x.csv")
    subprocess.run([pat, "data", "build", "--input", path, "--length", "1440", "--val", "0",
                    "--test", "0", "--scaler", "none", "--min-day-minutes", "0", "-q", "-o", d],
                   check=True)
    subprocess.run([pat, "data", "export", "--csv", d, "-o", x, "-q"], check=True)
    total = 0.0
    with open(x) as f:
        for line in f:
            total += sum(float(v) for v in line.split(","))
    return total


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else "build"
    mb = float(sys.argv[2]) if len(sys.argv) > 2 else 520
    pat = os.path.join(build, "pat")
    with tempfile.TemporaryDirectory() as tmp:
        big, small = os.path.join(tmp, "export.xml"), os.path.join(tmp, "small", "export.xml")
        os.mkdir(os.path.dirname(small))
        size = generate(big, mb)
        small_size = generate(small, mb / 10)
        print("export.xml: %.0f MB generated (and %.0f MB for the memory check)"
              % (size / 1e6, small_size / 1e6), flush=True)
        report = [pat, "data", "report", "--input", None, "--length", "1440", "-q", "-o",
                  os.path.join(tmp, "r.txt")]
        report[4] = small
        _, _, small_rss = run(report)
        report[4] = big
        pat_wall, pat_cpu, pat_rss = min(run(report) for _ in range(2))
        code = ("import sys; sys.path.insert(0, %r); import apple_health as a; "
                "print(repr(a.reference(%r)))" % (os.path.dirname(os.path.abspath(__file__)), big))
        out = os.path.join(tmp, "ref.txt")
        with open(out, "w") as f:
            py_wall, py_cpu, py_rss = run([sys.executable, "-c", code], stdout=f)
        ref = float(open(out).read())
        got = pat_total(pat, big, tmp)
        mb = size / 1e6
        print("pat data report --input: %.2f s wall, %.2f s CPU, %.0f MB/s of CPU, peak RSS %.1f MB"
              % (pat_wall, pat_cpu, mb / pat_cpu, pat_rss))
        print("python3 iterparse:       %.2f s wall, %.2f s CPU, %.0f MB/s of CPU, peak RSS %.1f MB"
              % (py_wall, py_cpu, mb / py_cpu, py_rss))
        print("throughput ratio pat/python: %.1fx of CPU time, %.1fx of wall time (target >= 5x)"
              % (py_cpu / pat_cpu, py_wall / pat_wall))
        print("pat peak RSS on a file a tenth the size: %.1f MB (full file: %.1f MB; target < 64 MB)"
              % (small_rss, pat_rss))
        print("step totals: pat %.1f, python %.1f, relative difference %.2g" %
              (got, ref, abs(got - ref) / max(ref, 1)))


if __name__ == "__main__":
    main()
