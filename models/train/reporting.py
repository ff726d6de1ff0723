"""What both training scripts write and print: a timestamped log line, rounded metrics, and JSON
laid out as Prettier lays it out, so the committed files stay byte-stable."""

import json
import re
import sys
import time


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def rounded(value, digits=4):
    """Four decimals by default: the intervals are far wider than that."""
    if isinstance(value, float):
        return round(value, digits)
    if isinstance(value, dict):
        return {k: rounded(v, digits) for k, v in value.items()}
    if isinstance(value, list):
        return [rounded(v, digits) for v in value]
    return value


def write_json(path, value):
    """Indented JSON with short lists of numbers or names on one line, as Prettier formats it."""
    text = json.dumps(value, indent=2)
    text = re.sub(
        r"\[\s+([^\[\]{}]*?)\s+\]", lambda m: "[" + ", ".join(re.split(r",\s+", m.group(1))) + "]", text
    )
    path.write_text(text + "\n")
