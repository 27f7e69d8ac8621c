"""`tao-tui set PATH=VALUE... [--classes SRC:TARGET,...] [--dataset DIR] [--image IMAGE] --project DIR`:
change safe values, the dataset or the container image of an existing project (through the same core as
`tao-tui new`)."""

from __future__ import annotations

import argparse


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("values", nargs="*", metavar="PATH=VALUE",
                   help="e.g. training_config.num_epochs=80 or dataset.train_data_sources[0].image_dir=/workspace/...")
    p.add_argument("--project", default=".", help="project folder (default: the current folder)")
    p.add_argument("--dataset", help="the host folder with your images and labels (mounted read-only)")
    p.add_argument("--classes", metavar="SRC:TARGET,...",
                   help="class mapping, e.g. forklift:forklift,person:person,pallet:forklift (as `new --classes`)")
    p.add_argument("--image", metavar="IMAGE",
                   help="use this container image from now on (a mirror, a local build; checked as `run --image`); "
                        '"" goes back to the catalog\'s image')
    p.add_argument("--unlock", action="append", default=[], metavar="PATH",
                   help="expert: allow changing this locked parameter (recorded in the project)")


def run(args: argparse.Namespace) -> int:
    from tao_tui.commands.new import parse_sets
    from tao_tui.project import Project
    from tao_tui.specs.netdef import load_network
    from tao_tui.workflow.create import format_classes, parse_classes, set_params

    project = Project.load(args.project)
    net = load_network(project.network, version=project.tao_version)
    changes = {}
    for path, value in parse_sets(args.values):
        changes[net.param_key(path)] = value
    classes = parse_classes(args.classes) if args.classes is not None else None
    image = _image(project, args.image) if args.image is not None else None  # checked before anything is written
    if not changes and not args.dataset and not args.unlock and classes is None and image is None:
        from tao_tui.errors import UserError

        raise UserError("nothing to set",
                        "give PATH=VALUE pairs, --classes SRC:TARGET,..., --dataset DIR and/or --image IMAGE",
                        field="values")
    project = set_params(project.root, changes, unlock=args.unlock, dataset=args.dataset, classes=classes,
                         image=image)
    if image is not None:
        catalog = " (the catalog's image for this network and TAO version)" if not args.image.strip() else ""
        print(f"set image = {image}{catalog}")
    if args.dataset:
        print(f"dataset: {project.dataset} (mounted at /workspace/tao-experiments/data)")
    for notice in project.notices:
        print(f"note: {notice}")
    for key, value in changes.items():
        print(f"set {key} = {value}")
    if classes is not None:
        print(f"set classes = {format_classes(classes)}")
    return 0


def _image(project, text: str) -> str:
    """``--image`` checked as `run --image` is (Docker's reference grammar); "" -> the catalog's image for
    the project's network and TAO version."""
    from tao_tui.errors import UserError
    from tao_tui.runtime.runner import check_image
    from tao_tui.workflow.create import image_for

    image = check_image(text) or image_for(project.network, project.tao_version)
    if not image:
        raise UserError(f"the catalog has no image for {project.network} in TAO {project.tao_version}",
                        "pass the image to use: --image [registry/]name[:tag]", field="--image")
    return image
