"""Write tests/data/schemas/*.json: the keys and bounds of NVIDIA's machine-readable spec schemas, for
tests/unit/test_contracts_schema.py (which checks every bundled template and safe parameter against them).

  ftms-5.5.json  from reference/specs/<net>/tao_api_schema/<net> - <action>.csv (NVIDIA/tao_front_end_services,
                 TAO 5.5): {network: {action: {parameter: [valid_min, valid_max, container]}}} (None where
                 not given; container: true for a collection, whose own keys are listed one by one)
  tao-6x.json    from reference/tao7/skills/models/<skill>/schemas/<action>.schema.json (NVIDIA-TAO/tao-skill-bank
                 7.1.0, the same hydra configs as tao-core's 6.x for the networks listed in SKILLS):
                 {network: {action: {parameter: [minimum, maximum, container]}}} (container: an object)

Usage: python scripts/gen_schema_index.py [REFERENCE_DIR]   (default ../shared/reference)
"""

from __future__ import annotations

import csv
import json
import math
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "data" / "schemas"

def skills(ref: Path) -> dict[str, str]:
    """network -> NVIDIA skill, from the skills' own skill_info.yaml (``network_arch``/command name)."""
    import yaml

    out = {}
    for info in sorted((ref / "tao7" / "skills" / "models").glob("*/references/skill_info.yaml")):
        data = yaml.safe_load(info.read_text(encoding="utf-8")) or {}
        train = ((data.get("actions") or {}).get("train") or {}).get("command") or ""
        net = train.split()[0] if train else data.get("network_arch")
        if net:
            out.setdefault(str(net), info.parent.parent.name)
    return out


def _num(text):
    if text is None or str(text).strip() == "":
        return None
    try:
        value = float(text)
    except (TypeError, ValueError):  # a per-item list of bounds, or text: no single bound
        return None
    return None if math.isinf(value) or math.isnan(value) else value


def ftms(ref: Path) -> dict:
    out: dict = {}
    for folder in sorted((ref / "specs").glob("*/tao_api_schema")):
        net = folder.parent.name
        for path in sorted(folder.glob("*.csv")):
            action = path.stem.split(" - ", 1)[-1]
            with path.open(newline="", encoding="utf-8") as fh:
                rows = {r["parameter"]: [_num(r.get("valid_min")), _num(r.get("valid_max")),
                                         (r.get("value_type") or "").strip() == "collection"]
                        for r in csv.DictReader(fh) if r.get("parameter")}
            out.setdefault(net, {})[action] = rows
    return out


def _props(node: dict, prefix: str, out: dict) -> None:
    for key, sub in (node.get("properties") or {}).items():
        if not isinstance(sub, dict):
            continue
        path = f"{prefix}.{key}" if prefix else key
        out[path] = [_num(sub.get("minimum")), _num(sub.get("maximum")),
                     bool(sub.get("properties"))]  # a collection (type object or "collection")
        _props(sub, path, out)


def tao6(ref: Path) -> dict:
    out: dict = {}
    ours = {f.parent.name for f in (ROOT / "specs_templates").glob("*/network.yaml")}
    for net, skill in skills(ref).items():
        if net not in ours:  # only the networks tao-tui bundles templates for
            continue
        for path in sorted((ref / "tao7" / "skills" / "models" / skill / "schemas").glob("*.schema.json")):
            rows: dict = {}
            _props(json.loads(path.read_text(encoding="utf-8")), "", rows)
            out.setdefault(net, {})[path.name.split(".")[0]] = rows
    return out


def main() -> None:
    ref = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "reference"
    OUT.mkdir(parents=True, exist_ok=True)
    for name, data in (("ftms-5.5.json", ftms(ref)), ("tao-6x.json", tao6(ref))):
        (OUT / name).write_text(json.dumps(data, sort_keys=True, separators=(",", ":")) + "\n", encoding="utf-8")
        print(f"wrote {OUT / name}")


if __name__ == "__main__":
    main()
