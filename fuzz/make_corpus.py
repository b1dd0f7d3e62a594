#!/usr/bin/env python3
"""Writes the seed corpora of fuzz/corpus/<target>/ (README "Fuzzing"). Run it from anywhere;
it rewrites the seed-* files and leaves regression inputs (other names) alone.

Every person is generated here: names from common characters, ID numbers under the test
counties' area codes (tests/support/people.cpp) with random birth dates and sequences and a
correct GB 11643 check character. No real ID number appears."""
import io
import json
import os
import random
import re
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "fuzz", "corpus")
rng = random.Random(16)

WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
AREAS = ["371302", "371311", "371321", "370102", "350481", "371312"]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂"


def check_char(first17):
    return "10X98765432"[sum(int(c) * w for c, w in zip(first17, WEIGHTS)) % 11]


def id_number(year=None, male=None):
    year = year or rng.randint(1940, 2015)
    seq = rng.randint(0, 499) * 2 + (1 if (male if male is not None else rng.random() < .5) else 0)
    first17 = "%s%04d%02d%02d%03d" % (rng.choice(AREAS), year, rng.randint(1, 12),
                                       rng.randint(1, 28), seq)
    return first17 + check_char(first17)


def name():
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2)))


def mobile():
    return "1" + rng.choice("3456789") + "".join(rng.choice("0123456789") for _ in range(9))


def write(target, name_, data):
    folder = os.path.join(CORPUS, target)
    os.makedirs(folder, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    assert len(data) <= 4096, (target, name_, len(data))
    with open(os.path.join(folder, "seed-" + name_), "wb") as f:
        f.write(data)


def clear_seeds():
    if not os.path.isdir(CORPUS):
        return
    for target in os.listdir(CORPUS):
        for f in os.listdir(os.path.join(CORPUS, target)):
            if f.startswith("seed-"):
                os.remove(os.path.join(CORPUS, target, f))


# -- id_number ---------------------------------------------------------------------------------
def id_seeds():
    for i in range(6):
        write("id_number", "valid-%d" % i, id_number())
    x = ""
    while not x.endswith("X"):
        x = id_number()
    write("id_number", "valid-x", x)
    write("id_number", "lower-x", x[:-1] + "x")
    write("id_number", "spaced", "  " + id_number() + "\t")
    good = id_number()
    write("id_number", "bad-check", good[:-1] + ("0" if good[-1] != "0" else "1"))
    write("id_number", "future", (lambda f: f + check_char(f))(AREAS[0] + "20991231" + "123"))
    write("id_number", "feb30", (lambda f: f + check_char(f))(AREAS[1] + "19800230" + "456"))
    write("id_number", "short", good[:15])
    write("id_number", "letters", "37130219AB0101123X")
    write("id_number", "mobile", mobile())
    write("id_number", "fixed-line", "0539-3851238")
    write("id_number", "name", name())
    write("id_number", "fullwidth", "３７１３０２１９８０")


# -- csv -----------------------------------------------------------------------------------
def csv_table(rows=4):
    lines = ["户编号,户主姓名,身份证号,联系电话,走访日期"]
    for i in range(rows):
        lines.append("%s,%s,%s,%s,2025-0%d-1%d" % (
            AREAS[0] + "%06d" % rng.randint(0, 999999) + "%02d" % i, name(), id_number(), mobile(),
            rng.randint(1, 9), rng.randint(0, 9)))
    return "\r\n".join(lines) + "\r\n"


def csv_seeds():
    text = csv_table()
    write("csv", "utf8", text)
    write("csv", "utf8-bom", "\ufeff" + csv_table())
    write("csv", "gbk", csv_table().encode("gbk"))
    write("csv", "gb18030-extra", ("户编号,姓名\n1,\u3400\u9fa5€\n").encode("gb18030"))
    write("csv", "quoted", '户编号,备注\n"%s","第一行\n第二行, ""引号"""\n' % AREAS[2])
    write("csv", "unterminated", '户编号,备注\n1,"没有结束\n2,x\n')
    write("csv", "ascii-then-gbk", ("a,b\n" + "1,2\n" * 40 + "3,").encode() + "张三\n".encode("gbk"))
    write("csv", "utf8-then-bad", "户编号,姓名\n1,李四\n".encode() + b"\xff\xfe,x\n")
    write("csv", "not-text", bytes(range(256)))
    write("csv", "empty-records", "a,b\n\n,\n , \n\u3000,x\n")
    write("csv", "ragged", "a,b,c\n1\n1,2,3,4,5\n")
    write("csv", "only-header", "户编号")
    write("csv", "cut-character", "户编号,姓名\n1,李".encode()[:-1])


# -- xlsx ----------------------------------------------------------------------------------
NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
RELNS = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
CONTENT_TYPES = ('<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                 'package/2006/content-types"/>')
WORKBOOK = ('<?xml version="1.0"?><workbook %s %s><workbookPr date1904="%s"/><sheets>'
            '<sheet name="走访" sheetId="1" r:id="rId1"/></sheets></workbook>')
RELS = ('<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
        '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
        'officeDocument/2006/relationships/worksheet" Target="%s"/></Relationships>')
STYLES = ('<?xml version="1.0"?><styleSheet %s><numFmts count="1"><numFmt numFmtId="164" '
          'formatCode="yyyy/m/d"/></numFmts><cellXfs count="3"><xf numFmtId="0"/>'
          '<xf numFmtId="14"/><xf numFmtId="164"/></cellXfs></styleSheet>' % NS)


def strings_xml(strings):
    return '<?xml version="1.0"?><sst %s>%s</sst>' % (
        NS, "".join("<si><t>%s</t></si>" % s for s in strings))


def sheet_xml(rows):
    out = []
    for r, cells in rows:
        out.append('<row r="%s">%s</row>' % (r, "".join(cells)))
    return '<?xml version="1.0"?><worksheet %s><sheetData>%s</sheetData></worksheet>' % (
        NS, "".join(out))


def workbook_parts(date1904="0", target="worksheets/sheet1.xml"):
    people = [(name(), id_number()) for _ in range(3)]
    strings = ["户编号", "户主姓名", "身份证号", "走访日期"] + [p[0] for p in people]
    rows = [(1, ['<c r="%s1" t="s"><v>%d</v></c>' % (c, i) for i, c in enumerate("ABCD")])]
    for i, (nm, idn) in enumerate(people):
        r = i + 2
        rows.append((r, ['<c r="A%d"><v>%s</v></c>' % (r, AREAS[3] + "00100100%d" % i),
                         '<c r="B%d" t="s"><v>%d</v></c>' % (r, 4 + i),
                         '<c r="C%d" t="inlineStr"><is><t>%s</t></is></c>' % (r, idn),
                         '<c r="D%d" s="%d"><v>%d</v></c>' % (r, 1 + i % 2, 45700 + i)]))
    return {
        "xl/worksheets/sheet1.xml": sheet_xml(rows),
        "xl/sharedStrings.xml": strings_xml(strings),
        "xl/styles.xml": STYLES,
        "xl/workbook.xml": WORKBOOK % (NS, RELNS, date1904),
        "xl/_rels/workbook.xml.rels": RELS % target,
        "[Content_Types].xml": CONTENT_TYPES,
    }


ORDER = ["xl/worksheets/sheet1.xml", "xl/sharedStrings.xml", "xl/styles.xml", "xl/workbook.xml",
         "xl/_rels/workbook.xml.rels", "[Content_Types].xml"]


def zipped(parts, method=zipfile.ZIP_DEFLATED):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as z:
        for name_ in ORDER:
            if name_ in parts:
                info = zipfile.ZipInfo(name_, (2025, 1, 1, 0, 0, 0))
                info.compress_type = method
                z.writestr(info, parts[name_])
    return buf.getvalue()


def as_parts_input(parts):
    # fuzz_xlsx's second kind of input: the parts in ORDER, separated by 0x1E.
    return "\x1e".join(parts.get(n, "") for n in ORDER)


def xlsx_seeds():
    write("xlsx", "valid.xlsx", zipped(workbook_parts()))
    write("xlsx", "valid-stored.xlsx", zipped(workbook_parts("1"), zipfile.ZIP_STORED))
    no_strings = workbook_parts()
    del no_strings["xl/sharedStrings.xml"]
    write("xlsx", "no-shared-strings.xlsx", zipped(no_strings))
    big_row = workbook_parts()
    big_row["xl/worksheets/sheet1.xml"] = sheet_xml(
        [(1, ['<c r="A1" t="inlineStr"><is><t>户编号</t></is></c>']),
         ("99999999999", ['<c r="A99999999999"><v>1.3812345678E10</v></c>']),
         ("5", ['<c r="B5" t="b"><v>1</v></c>', '<c r="C5" t="s"><v>99</v></c>'])])
    write("xlsx", "row-numbers.xlsx", zipped(big_row))
    broken = zipped(workbook_parts())
    write("xlsx", "truncated.xlsx", broken[: len(broken) // 2])
    bad_xml = workbook_parts()
    bad_xml["xl/worksheets/sheet1.xml"] = bad_xml["xl/worksheets/sheet1.xml"][:-30] + "<row"
    write("xlsx", "bad-xml.xlsx", zipped(bad_xml))
    write("xlsx", "parts-valid", as_parts_input(workbook_parts()))
    write("xlsx", "parts-1904", as_parts_input(workbook_parts("1")))
    write("xlsx", "parts-other-sheet", as_parts_input(workbook_parts(target="/xl/worksheets/sheet1.xml")))
    rich = workbook_parts()
    rich["xl/sharedStrings.xml"] = ('<?xml version="1.0"?><x:sst xmlns:x="http://schemas.openxml'
                                   'formats.org/spreadsheetml/2006/main"><x:si><x:r><x:t>户</x:t>'
                                   '</x:r><x:r><x:t xml:space="preserve">编号 </x:t></x:r><x:rPh>'
                                   '<x:t>hu</x:t></x:rPh></x:si><x:si><x:t>&amp;&#x4e09;</x:t>'
                                   '</x:si></x:sst>')
    rich["xl/worksheets/sheet1.xml"] = sheet_xml(
        [(1, ['<c r="A1" t="s"><v>0</v></c>', '<c r="B1" t="str"><f>1+1</f><v>2</v></c>']),
         (2, ['<c r="A2" t="s"><v>1</v></c>', '<c r="XFD2" t="e"><v>#N/A</v></c>'])])
    write("xlsx", "parts-rich-text", as_parts_input(rich))
    write("xlsx", "parts-empty", "")


# -- event_json ----------------------------------------------------------------------------
def event_seeds():
    # The bodies the decoder's own tests send, one file each (every event type is there).
    seen = set()
    for test in ["tests/daemon/event_json_test.cpp", "tests/daemon/api_case_test.cpp"]:
        src = open(os.path.join(ROOT, test), encoding="utf-8").read()
        # Adjacent raw string literals form one body.
        for group in re.finditer(r'(R"\((?:.|\n)*?\)"\s*)+', src):
            body = "".join(re.findall(r'R"\(((?:.|\n)*?)\)"', group.group(0)))
            if body.startswith("{") and '"type"' in body and body not in seen:
                seen.add(body)
    for i, body in enumerate(sorted(seen)):
        write("event_json", "test-%02d" % i, body)
    members = ",".join('{"name":"%s","id_number":"%s","relation":"%s"}' % (name(), id_number(), r)
                       for r in ["head", "spouse", "child"])
    write("event_json", "open-case",
          '{"type":"open_case","household":{"code":"%s","village":"%s","members":[%s]},'
          '"reason":"监测"}' % (AREAS[0] + "001001001", AREAS[0] + "001001", members))
    write("event_json", "not-object", "[1,2,3]")
    write("event_json", "malformed", '{"type":"record_visit","date":')
    write("event_json", "deep", "[" * 60 + "]" * 60)
    write("event_json", "escapes", '{"type":"record_visit","date":"2025-03-04","officer":"\\u8d75\\ud83d\\ude00*","findings":"\\u0000"}')
    issue14_event_seeds()


# Issue 14's events, written out because their tests build bodies in code: the Q4 evaluation,
# a level's confirmation of a household status, a major event, and the body of an alert's step
# (POST /api/v1/alerts/{id}/step: no "type", so the target reaches its JSON and the refusal
# naming "type"). Valid bodies and the edges their decoders check.
def issue14_event_seeds():
    bodies = {
        "record-evaluation": {"type": "record_evaluation", "year": 2025, "result": "risk_removed",
                              "per_capita_income_fen": rng.randint(700000, 1500000),
                              "basic_needs": {"compulsory_education": True, "basic_medical": True,
                                              "housing": True, "drinking_water": True},
                              "assessor": name(), "reason": "第四季度风险评估"},
        "record-evaluation-new-risk": {"type": "record_evaluation", "year": 2026,
                                       "result": "new_risk", "per_capita_income_fen": 0,
                                       "basic_needs": {"housing": False},
                                       "assessor": name()},
        "record-evaluation-bad": {"type": "record_evaluation", "year": "2025",
                                  "result": "removed", "per_capita_income_fen": -1,
                                  "basic_needs": {"water": "yes"}, "assessor": ""},
        "confirm-status-village": {"type": "confirm_household_status",
                                   "status": "guaranteed_support", "level": "village",
                                   "reason": "全家无劳动能力，村两委评议确认"},
        "confirm-status-township": {"type": "confirm_household_status",
                                    "status": "developmental", "level": "township",
                                    "reason": "已落实产业帮扶，镇级确认"},
        "confirm-status-bad": {"type": "confirm_household_status", "status": "poor",
                               "level": "county"},
        "major-event": {"type": "record_major_event", "date": "2025-07-14", "kind": "serious_illness",
                        "member_name": name(), "description": "突发重病住院，医疗支出较大"},
        "major-event-disaster": {"type": "record_major_event", "date": "2025-08-01",
                                 "kind": "disaster", "description": "房屋因洪灾受损"},
        "major-event-bad": {"type": "record_major_event", "date": "2025-02-30", "kind": "flood",
                            "member_name": 7},
        "alert-step-confirm": {"action": "confirm"},
        "alert-step-assign": {"action": "assign", "department": "medical_insurance", "days": 10},
        "alert-step-assisted": {"action": "assisted", "reason": "已落实医疗救助"},
        "alert-step-return": {"action": "return", "reason": "未见救助记录，退回补正"},
        "alert-step-bad": {"action": "assign", "department": "", "days": 61, "reason": None},
    }
    for name_, body in bodies.items():
        write("event_json", name_, json.dumps(body, ensure_ascii=False, separators=(",", ":")))


# -- config --------------------------------------------------------------------------------
def config_seeds():
    text = open(os.path.join(ROOT, "config", "example.toml"), encoding="utf-8").read()
    lines = [l.split(" #")[0].rstrip() for l in text.splitlines()
             if l.strip() and not l.strip().startswith("#")]
    # Tables in order; the head (county and places) goes with every slice so references resolve.
    tables, current = [], []
    for l in lines:
        if l.startswith("[") and current:
            tables.append(current)
            current = []
        current.append(l)
    tables.append(current)
    head = [t for t in tables if re.match(r"\[+(county|townships|villages)\]", t[0])]
    rest = [t for t in tables if t not in head]
    head_text = "\n".join("\n".join(t) for t in head) + "\n"
    slices, cur = [], ""
    for t in rest:
        block = "\n".join(t) + "\n"
        if len((head_text + cur + block).encode()) > 4000 and cur:
            slices.append(cur)
            cur = ""
        cur += block
    slices.append(cur)
    for i, s in enumerate(slices):
        write("config", "example-%02d.toml" % i, head_text + s)
    write("config", "not-toml.toml", "[county\ncode = 3713")
    write("config", "duplicate.toml", '[county]\ncode = "371302"\ncode = "371302"\n')
    write("config", "wrong-types.toml", '[county]\ncode = 371302\nname = ["x"]\n[storage]\nurl = 1\n')
    write("config", "empty.toml", "")
    write("config", "unicode-keys.toml", '["县"]\n"\u200b" = "\u202e"\n[county]\nname = "\\u0000"\n')


if __name__ == "__main__":
    clear_seeds()
    id_seeds()
    csv_seeds()
    xlsx_seeds()
    event_seeds()
    config_seeds()
    for target in sorted(os.listdir(CORPUS)):
        files = os.listdir(os.path.join(CORPUS, target))
        print("%-12s %3d files" % (target, len(files)))
