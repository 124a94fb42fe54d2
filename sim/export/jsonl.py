"""JSON Lines: one {"tick", "kind", "num", "arg"} object per trace event and line."""

from __future__ import annotations

import json
from typing import Iterable

from .atomic import atomic_output


def write_jsonl(events: Iterable, path) -> int:
    """One JSON object per event and line: {"tick", "kind", "num", "arg"}. Returns the count."""
    kinds: dict[str, str] = {}
    n = 0
    with atomic_output(path) as f:
        batch = []
        for tick, kind, num, arg in events:
            k = kinds.get(kind)
            if k is None:
                k = kinds[kind] = json.dumps(kind)
            batch.append(f'{{"tick":{int(tick)},"kind":{k},"num":{int(num)},"arg":{int(arg)}}}\n')
            if len(batch) >= 4096:
                f.writelines(batch)
                n += len(batch)
                batch.clear()
        f.writelines(batch)
        n += len(batch)
    return n
