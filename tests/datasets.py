"""Small real datasets for tests: valid PNG images and KITTI label files, in any of the layouts
TAO's converters read. Shared by the unit tests, the Pilot tests and the plain-mode tests."""

from __future__ import annotations

import json
import struct
import zlib
from pathlib import Path

KITTI_TAIL = "0.00 0 0.00 {x1} {y1} {x2} {y2} 0.00 0.00 0.00 0.00 0.00 0.00 0.00"


def png_bytes(width: int = 64, height: int = 48) -> bytes:
    """A valid (decodable) grey PNG of ``width`` x ``height`` pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"".join(b"\0" + b"\x80" * width for _ in range(height))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def kitti_line(name: str, box: tuple[float, float, float, float] = (4, 4, 30, 40)) -> str:
    x1, y1, x2, y2 = box
    return f"{name} " + KITTI_TAIL.format(x1=f"{x1:.2f}", y1=f"{y1:.2f}", x2=f"{x2:.2f}", y2=f"{y2:.2f}")


def make_kitti(
    root: Path,
    classes: tuple[str, ...] = ("Forklift", "Person", "Pallet"),
    n: int = 6,
    *,
    layout: str = "training",
    size: tuple[int, int] = (64, 48),
    splits: tuple[str, ...] = ("train", "val"),
) -> Path:
    """Write ``n`` PNG images and their KITTI label files under ``root`` and return ``root``.

    Image i has one object of ``classes[i % len(classes)]`` and, when there are two or more
    classes, one of ``classes[(i + 1) % len(classes)]``, names written exactly as given.
    ``layout``: ``"training"`` (training/image_2 + training/label_2, the KITTI/starter-kit form),
    ``"image_2"`` (image_2 + label_2 at the top), ``"images"`` (images + labels at the top) or
    ``"splits"`` (``<split>/images + <split>/labels`` for each of ``splits``, as NVIDIA's
    converters write; ``n`` images per split)."""
    root = Path(root)
    pairs = {
        "training": [("training/image_2", "training/label_2")],
        "image_2": [("image_2", "label_2")],
        "images": [("images", "labels")],
        "splits": [(f"{s}/images", f"{s}/labels") for s in splits],
    }[layout]
    png = png_bytes(*size)
    for img_dir, lab_dir in pairs:
        (root / img_dir).mkdir(parents=True, exist_ok=True)
        (root / lab_dir).mkdir(parents=True, exist_ok=True)
        for i in range(n):
            stem = f"{i:06d}"
            (root / img_dir / f"{stem}.png").write_bytes(png)
            names = [classes[i % len(classes)]]
            if len(classes) > 1:
                names.append(classes[(i + 1) % len(classes)])
            (root / lab_dir / f"{stem}.txt").write_text("".join(kitti_line(c) + "\n" for c in names))
    return root


def make_coco(
    root: Path,
    categories: tuple[str, ...] = ("forklift", "person", "pallet"),
    n: int = 4,
    *,
    size: tuple[int, int] = (64, 48),
    missing: int = 0,
) -> Path:
    """``root/images/*.png`` + ``root/annotations/instances.json`` (COCO detection); the last
    ``missing`` images are listed in the JSON but not written to disk. Returns ``root``."""
    root = Path(root)
    (root / "images").mkdir(parents=True, exist_ok=True)
    (root / "annotations").mkdir(parents=True, exist_ok=True)
    png = png_bytes(*size)
    images, annotations = [], []
    for i in range(n):
        name = f"{i:06d}.png"
        if i < n - missing:
            (root / "images" / name).write_bytes(png)
        images.append({"id": i + 1, "file_name": name, "width": size[0], "height": size[1]})
        annotations.append({"id": i + 1, "image_id": i + 1, "category_id": i % len(categories) + 1,
                            "bbox": [2, 2, 20, 20], "area": 400, "iscrowd": 0})
    cats = [{"id": k + 1, "name": c} for k, c in enumerate(categories)]
    (root / "annotations" / "instances.json").write_text(
        json.dumps({"images": images, "annotations": annotations, "categories": cats}))
    return root
