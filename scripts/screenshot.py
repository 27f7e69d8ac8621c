"""Save SVG screenshots of the wizard with a stage running (needs the engine and the test image).

    .venv/bin/python scripts/screenshot.py OUT_DIR

Builds a detectnet_v2 project that runs the fake TAO image of tests/engine (built by the engine
tests: `tao-tui-test/fake-tao:latest`), starts dataset_convert then train from the UI, and saves
the screen at 80x24 and 160x48 while train runs.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


async def shoot(out: Path, size: tuple[int, int]) -> None:
    from tao_tui.project import Project
    from tao_tui.ui.app import TaoTuiApp
    from tao_tui.workflow.create import create_project

    tmp = Path(tempfile.mkdtemp())
    data = tmp / "kitti"
    for sub in ("training/image_2", "training/label_2"):
        (data / sub).mkdir(parents=True)
    (data / "training/image_2/0.png").write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\4\xe0\0\0\1\x80" + b"\0" * 8)
    (data / "training/label_2/0.txt").write_text("car 0 0 0 1 2 30 40 0 0 0 0 0 0 0\n")
    root = Path("/tmp/tao-tui-demo")
    shutil.rmtree(root, ignore_errors=True)
    create_project(root, "detectnet_v2", tao_version="5.0.0", image="tao-tui-test/fake-tao:latest",
                   dataset=str(data), sets=[("training_config.num_epochs", "80")])
    pre = root / "detectnet_v2/pretrained_resnet18/pretrained_detectnet_v2_vresnet18/resnet18.hdf5"
    pre.parent.mkdir(parents=True)
    pre.write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 64)
    p = Project.load(root)
    p.container_network = False
    p.env = {"FAKE_TAO_LINE_DELAY": "0.05"}
    p.save()
    os.environ["TAO_TUI_NO_GPU"] = "1"
    app = TaoTuiApp(project=root)
    async with app.run_test(size=size) as pilot:
        await pilot.pause(0.5)
        await pilot.press("r")  # dataset_convert
        for _ in range(100):
            await pilot.pause(0.2)
            if Project.load(root).stages.get("dataset_convert") and Project.load(root).stages["dataset_convert"].status == "done":
                break
        await pilot.press("down", "r")  # train
        await pilot.pause(2.5)
        app.save_screenshot(filename=f"tao-tui-{size[0]}x{size[1]}.svg", path=str(out))
        await pilot.press("s")
        await pilot.pause(2)


def main() -> int:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else ".")
    out.mkdir(parents=True, exist_ok=True)
    for size in ((80, 24), (160, 48)):
        asyncio.run(shoot(out, size))
    print(f"saved in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
