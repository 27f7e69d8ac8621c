"""A TAO 6.x project starts from NVIDIA's 6.26.3 starter-kit spec files where they differ from the 5.5 ones.

Those networks bundle the 6.26.3 files byte for byte in ``specs_templates/<net>/tao6/`` (NVIDIA/tao_tutorials,
branch release/6.26.3, ``notebooks/tao_launcher_starter_kit/<net>/specs/``) and a ``versions:`` entry (since 6.0,
``templates: tao6``) points at them. A new 6.26.3 project's specs are NVIDIA's files with only the safe values set.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tao_tui.specs import load_spec
from tao_tui.specs.netdef import load_network, template_networks

KIT = Path(__file__).resolve().parents[3] / "shared" / "reference" / "specs-6.26.3" / "tao_launcher_starter_kit"
# specs_templates/<net> -> its folder in NVIDIA's starter kit, where the names differ
KIT_FOLDER = {
    "action_recognition": "action_recognition_net",
    "ml_recog": "metric_learning_recognition",
    "pose_classification": "pose_classification_net",
    "re_identification": "re_identification_net",
}
EXPECTED = {"classification_pyt", "segformer", "action_recognition", "classification_tf2", "deformable_detr", "dino", "efficientdet_tf2", "mal", "mask2former", "mask_grounding_dino", "ml_recog", "ocrnet", "optical_inspection", "pointpillars", "pose_classification", "retail_object_recognition", "visual_changenet", "grounding_dino", "re_identification"}


def _tao6_networks() -> list[str]:
    out = []
    for name in template_networks():
        net = load_network(name, version="6.26.3")
        if net.specs == "bundled" and net.folder.name == "tao6":
            out.append(name)
    return out


TAO6 = _tao6_networks()


def _kit_file(network: str, spec: str) -> Path:
    folder = KIT / KIT_FOLDER.get(network, network)
    sub, _, name = spec.rpartition("/")  # classification_tf2: tao_voc/spec.yaml -> tao_voc/specs/spec.yaml
    return (folder / sub / "specs" / name) if sub else (folder / "specs" / name)


def test_the_networks_with_6x_templates():
    assert set(TAO6) >= EXPECTED, sorted(TAO6)


@pytest.mark.parametrize("network", TAO6)
def test_5x_projects_keep_the_55_files(network):
    five = load_network(network, version="5.5.0")
    six = load_network(network, version="6.26.3")
    assert five.folder.name == network and six.folder == five.folder / "tao6"
    differ = [s for s in six.spec_files if (six.folder / s).read_bytes() != (five.folder / s).read_bytes()]
    assert differ, f"{network}: the 6.26.3 files are the 5.5 ones; it needs no tao6/"


@pytest.mark.parametrize("network", TAO6)
def test_tao6_files_are_nvidias_byte_for_byte(network):
    if not KIT.is_dir():
        pytest.skip(f"{KIT} (NVIDIA's 6.26.3 starter kit) is not on this machine")
    net = load_network(network, version="6.26.3")
    for spec in net.spec_files:
        assert (net.folder / spec).read_bytes() == _kit_file(network, spec).read_bytes(), f"{network}: {spec}"


def _changed_value(p):
    """A value of safe parameter ``p`` other than its default, within its bounds (None: none to try)."""
    if p.type == "int" and isinstance(p.default, int):
        up = p.default + 1
        return up if p.max is None or up <= p.max else p.default - 1
    if p.type == "path" and isinstance(p.default, str):
        return "/data/elsewhere/x"
    return None


@pytest.mark.parametrize("network", TAO6)
def test_a_new_6x_project_has_nvidias_6x_specs_but_the_safe_values(network, tmp_path):
    from tao_tui.workflow.create import create_project

    net = load_network(network, version="6.26.3")
    plain = create_project(tmp_path / "plain", network, tao_version="6.26.3")
    for spec in net.spec_files:
        written = dict(load_spec(plain.specs_dir / spec).leaves())
        assert written == dict(load_spec(net.folder / spec).leaves()), f"{network}: {spec}"

    sets = {p.key: v for p in net.safe_params if (v := _changed_value(p)) is not None}
    assert sets, f"{network}: no int/path safe parameter to set"
    project = create_project(tmp_path / "set", network, tao_version="6.26.3",
                             sets=[(k, str(v)) for k, v in sets.items()])
    for spec in net.spec_files:
        expected = load_spec(net.folder / spec)
        for p in net.safe_params:
            if p.spec == spec and p.key in sets:
                expected.set(p.path, sets[p.key])
        written = dict(load_spec(project.specs_dir / spec).leaves())
        assert written == dict(expected.leaves()), f"{network}: {spec}"
