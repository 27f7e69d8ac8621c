"""Errors as data: one table of :class:`ErrorRule` (substring gate, optional regex, message in
plain words, fix), each rule with the source of its fact. Standard library only."""

from __future__ import annotations

import re
from dataclasses import dataclass
from dataclasses import replace as _replace

# --------------------------------------------------------------------------------------------
# error matchers: one table, easy to extend


@dataclass(frozen=True, slots=True)
class ErrorRule:
    """``gate``: any of these substrings must be in the text; ``pattern`` (optional) must then
    match too. Every rule is tried on tracebacks, status.json FAILURE messages and on log lines that
    contain "rror"; ``standalone`` rules also on any other line that reaches the dispatcher.
    ``anchor``: a substring added to the cheap per-line gate so that a bare line (no "Error" in it)
    reaches the dispatcher at all (one string or several); each anchor costs ~50 ns on every line,
    so use them sparingly. ``source``: where the fact (the error text, its cause and fix) comes from;
    every rule has one (a test checks)."""

    id: str  # the pitfall id in reference/tao-pitfalls.md, or our own (D*, DINO*, INT)
    gate: tuple[str, ...]
    message: str
    fix: str
    pattern: re.Pattern[str] | None = None
    standalone: bool = False
    anchor: str | tuple[str, ...] = ""
    source: str = ""


def _rx(text: str) -> re.Pattern[str]:
    return re.compile(text)


ERROR_RULES: list[ErrorRule] = [
    ErrorRule(
        "P5",
        (
            "memory",
            "OOM when allocating",
            "ResourceExhausted",
            "Resource exhausted",
            "OUT_OF_MEMORY",
            "_STATUS_ALLOC_FAILED",  # cuDNN/cuBLAS could not allocate their workspace on the GPU
        ),
        "The GPU ran out of memory: one batch of this input size does not fit in the GPU's memory.",
        "Lower the batch size (batch_size_per_gpu / batch_size / dataset.batch_size; DINO: 4 -> 2 -> 1) "
        "or the input size (output_image_width/height, input_width/height), or use a smaller "
        "backbone. Check with nvidia-smi that no other process holds GPU memory.",
        _rx(
            r"out of (?:GPU )?memory|OOM when allocating|ResourceExhausted|Resource exhausted"
            r"|OutOfMemoryError|OUT_OF_MEMORY|_STATUS_ALLOC_FAILED"
        ),
        standalone=True,
        anchor=("memory", "OOM when allocating"),  # a longer needle is a quicker miss
        source="reference/tao-pitfalls.md row P5 (TF1 train.py catches ResourceExhaustedError; "
        "TensorFlow's 'Resource exhausted: OOM when allocating tensor'); "
        "reference/tao7/skills/models/tao-train-dino/references/dino-actions-errors.md "
        "('CUDA out of memory: Reduce dataset.batch_size (4 -> 2 -> 1)')",
    ),
    ErrorRule(
        "M6",
        # "unable to write to file </torch_123_456>": PyTorch's shared-memory files in /dev/shm
        # (it then says "No space left on device", which is /dev/shm, not the disk)
        ("shared memory", "Bus error", "bus error", "(shm)", "</torch_"),
        "A PyTorch data-loader worker crashed: the container has too little shared memory (/dev/shm; "
        "Docker's default is 64 MB).",
        'Give the container more shared memory: "shm_size": "16G" in DockerOptions of '
        "~/.tao_mounts.json (tao-tui uses it for its runs too), or lower dataset.num_workers.",
        standalone=True,
        source="reference/tao-pitfalls.md row M6 (PyTorch DataLoader text; the DINO notebook sets "
        'shm_size "16G")',
    ),
    ErrorRule(
        "K1",
        ("Invalid decryption", "without the encryption key"),
        "TAO could not decrypt the model file: the key does not match the key the model was saved with.",
        "Use the same key (-k / $KEY / encryption_key) that was used when this model was trained or "
        "exported. NGC pretrained models use the key on their model card (often tlt_encode).",
        standalone=True,
        anchor="decryption",
    ),
    ErrorRule(
        "K2",
        ("zipfile extracted was corrupt", "checkpoint file is not saved properly"),
        "The last training checkpoint could not be read (wrong key, or it was cut off).",
        "Resume with the same key, or delete the newest model.epoch-*.ckzip in the results folder and run again.",
    ),
    ErrorRule(
        "P1",
        ("Pretrained model file not found", "Provide only one pretrained model file"),
        "The pretrained weights named in the spec are not where the container looks for them.",
        "Download them (ngc registry model download-version nvidia/tao/pretrained_detectnet_v2:resnet18 "
        "--dest <dir>) and set model_config.pretrained_model_file to the container path of that file.",
        standalone=True,
    ),
    ErrorRule(
        "M1",
        ("Mount point source path doesn't exist",),
        "A folder listed in ~/.tao_mounts.json does not exist on this machine.",
        "Create the folder or fix the Mounts[].source path in ~/.tao_mounts.json.",
        standalone=True,
    ),
    ErrorRule(
        "H3",
        ("permission denied while trying to connect to the Docker daemon",),
        "This user may not use Docker.",
        "Run `sudo usermod -aG docker $USER`, then log out and back in.",
    ),
    ErrorRule(
        "S3",
        ("should have only 15 fields",),
        "A KITTI label file has a line without exactly 15 fields.",
        "Each label line must be: type truncated occluded alpha x1 y1 x2 y2 h w l x y z rotation_y. "
        "Remove score columns, avoid spaces in class names, use spaces not commas.",
        standalone=True,
    ),
    ErrorRule(
        "H1",
        ("could not select device driver",),
        "Docker cannot give containers the GPU (NVIDIA Container Toolkit missing or not configured).",
        "Install the NVIDIA Container Toolkit, run `sudo nvidia-ctk runtime configure --runtime=docker`, "
        "then `sudo systemctl restart docker`.",
        standalone=True,
    ),
    ErrorRule(
        "S8",
        ("Validation period is not 0, but no validation data found",),
        "Validation is switched on but no validation data was found.",
        "Set validation_fold to the fold dataset_convert wrote (0 for a random split), point "
        "validation_data_source at existing tfrecords, or set validation_period_during_training to 0.",
        standalone=True,
    ),
    ErrorRule(
        "S9",
        ("Number of logging points",),
        "There are fewer training steps per epoch than the visualizer's logging points.",
        "Lower training_config.visualizer.scalar_logging_frequency (or use a smaller batch / more images).",
        standalone=True,
    ),
    ErrorRule(
        "S10",
        ("Infrequent logging frequency",),
        "num_epochs is smaller than the visualizer's infrequent_logging_frequency.",
        "Raise num_epochs or lower training_config.visualizer.infrequent_logging_frequency.",
    ),
    ErrorRule(
        "S11",
        ("Checkpoint interval", "Validation interval"),
        "The checkpoint or validation interval is larger than the number of epochs.",
        "Set checkpoint_interval and validation_interval to at most num_epochs.",
        _rx(r"(?:Checkpoint|Validation) interval.*(?:>|greater).*epochs"),
    ),
    ErrorRule(
        "P6",
        ("number of GPU indices", "At least 1 GPU required"),
        "The number of GPUs and the list of GPU indices disagree.",
        "Give as many GPU indices as GPUs (e.g. --gpus 2 --gpu_index 0 1), each below the GPU count.",
    ),
    ErrorRule(
        "S2",
        ("Mismatch in the number of predicted",),
        "The target classes differ between spec blocks.",
        "Use the same class names in target_class_mapping values, postprocessing_config, "
        "cost_function_config, bbox_rasterizer_config and evaluation_config.",
    ),
    ErrorRule(
        "S12",
        ("Spec file validation failed",),
        "A value in the spec file is out of its allowed range.",
        "Read the line after this one for the field; fix it in the spec (tao-tui spec check).",
    ),
    ErrorRule(
        "S13",
        ("ParseError",),
        "The spec file has a syntax error.",
        "Fix the line:column named in the message (missing brace, quotes, ':' in protobuf text).",
    ),
    ErrorRule(
        "P12",
        ("You need to set at least one of following fields: results_dir",),
        "No results folder was given.",
        "Pass results_dir=<folder> (tao-tui does this for you when it runs the stage).",
    ),
    ErrorRule(
        "P13",
        ("Resume checkpoint has an invalid file format",),
        "resume_training_checkpoint_path is not a .pth/.tlt file.",
        "Point it at an existing .pth or .tlt checkpoint, or leave it empty to start fresh.",
    ),
    ErrorRule(
        "M4",
        ("Permission denied", "PermissionError"),
        "TAO may not write (or read) a file: usually leftovers owned by root from an earlier run.",
        'Run `sudo chown -R $(id -u):$(id -g) <results folder>` and set "user": "UID:GID" in '
        "DockerOptions of ~/.tao_mounts.json.",
        standalone=True,
        anchor="denied",
    ),
    ErrorRule(
        "H6",
        ("No space left on device", "no space left on device"),
        "The disk is full.",
        "Free space on the results/Docker disk (old checkpoints, `docker image prune`), then run again.",
        standalone=True,
    ),
    ErrorRule(
        "H4",
        ("docker login", "logged in to a registry"),
        "Docker is not logged in to nvcr.io.",
        "Run `docker login nvcr.io` with user name $oauthtoken and your NGC API key as password.",
    ),
    ErrorRule(
        "H5",
        ("401 Client Error", "unauthorized: authentication required"),
        "NGC refused the login (401).",
        "Create a new NGC API key and run `docker login nvcr.io -u '$oauthtoken'` again.",
    ),
    ErrorRule(
        "M5",
        ("FileNotFoundError", "No such file or directory", "Specfile not found", "file not found"),
        "A file TAO needs is missing inside the container.",
        "Check that the path is a container path under a mounted folder (~/.tao_mounts.json) and that the file exists.",
    ),
    ErrorRule(
        "S2",
        ("AssertionError",),
        "An internal check failed without a message (bare AssertionError). In detectnet_v2 this almost "
        "always means the class lists are out of sync between spec blocks.",
        "Make the target classes (the values of target_class_mapping) match by name in "
        "postprocessing_config.target_class_config, cost_function_config.target_classes, "
        "bbox_rasterizer_config.target_class_config, evaluation_config (minimum_detection_ground_truth_overlap "
        "and evaluation_box_config) and training_config.visualizer.target_class_config.",
        _rx(r"^\s*AssertionError\s*:?\s*$"),
    ),
    ErrorRule(
        "D1",
        ("No such container",),
        "The container exited or was removed at once, before its output could be followed (a "
        "container started with --rm that fails at start-up vanishes with its log).",
        "See why: run the stage again with tao-tui (it keeps the container and its log), or "
        "`docker ps -a` and `docker logs <container>` while it still exists; `tao-tui doctor` checks "
        "the engine, the GPU runtime and the mounts. NVIDIA's launcher cannot run on hosted "
        "notebooks such as Google Colab (no Docker engine there): use a machine with Docker and "
        "an NVIDIA GPU.",
        _rx(r"No such container"),
        standalone=True,
        source="Docker Engine API: GET /containers/{id}/json answers 404 'No such container: <id>'; "
        "NVIDIA's launcher runs every task with `docker run` on the local engine "
        "(nvidia_tao_cli docker_handler), which hosted notebooks do not provide",
    ),
    ErrorRule(
        "DINO1",
        ("device-side assert",),
        "CUDA stopped on a device-side assert: in DINO-family detectors this almost always means a "
        "category id in the annotations is >= dataset.num_classes.",
        "Set dataset.num_classes >= max(category_id) + 1 of your COCO annotations (DINO's default is "
        "91), then run again.",
        standalone=True,
        source="reference/tao7/skills/models/tao-train-dino/references/dino-actions-errors.md "
        "('CUDA device-side assert: num_classes too low')",
    ),
    ErrorRule(
        "DINO2",
        ("num_select",),
        "model.num_select must be smaller than model.num_queries x dataset.num_classes.",
        "Lower model.num_select (default 300) or raise num_queries so that num_select < "
        "num_queries * num_classes.",
        _rx(r"num_select.*(?:<|less|smaller|num_queries)"),
        source="reference/tao7/skills/models/tao-train-dino/references/dino-actions-errors.md",
    ),
    ErrorRule(
        "DINO3",
        ("Error merging",),
        "The spec does not fit NVIDIA's schema (Hydra/OmegaConf): a key is unknown or at the wrong "
        "level (e.g. num_epochs or num_gpus at the top instead of under train).",
        "Put each key where NVIDIA's spec has it (train.num_epochs, train.num_gpus, ...); "
        "`tao-tui spec diff <spec>` shows what differs from NVIDIA's file.",
        _rx(r"Error merging .*(?:schema|spec)"),
        standalone=True,
        source="reference/tao7/skills/models/tao-train-dino/references/dino-actions-errors.md "
        "('Error merging spec.yaml with schema')",
    ),
    ErrorRule(
        "DINO4",
        ("smaller than total batch size", "smaller than the total batch size"),
        "A dataset has fewer images than one batch across all GPUs (batch_size x num_gpus).",
        "Lower dataset.batch_size or the number of GPUs, or add images (the validation set is the "
        "usual culprit).",
        standalone=True,
        source="reference/tao7/skills/models/tao-train-dino/references/dino-actions-errors.md "
        "('Dataset size smaller than total batch size')",
    ),
    ErrorRule(
        "DINO5",
        ("return_interm_indices",),
        "model.return_interm_indices and model.num_feature_levels disagree.",
        "Give return_interm_indices as many entries as num_feature_levels (NVIDIA's default: "
        "[1, 2, 3, 4] with num_feature_levels 4); change both together.",
        _rx(r"return_interm_indices.*(?:num_feature_levels|match|length)|num_feature_levels.*return_interm_indices"),
        source="reference/tao7/skills/models/tao-train-dino/references/dino-actions-errors.md",
    ),
    ErrorRule(
        "DINO6",
        ("DINODatasetConvertConfig",),
        "dino's dataset convert fails in NVIDIA's 7.0.0 PyTorch container before it reads the spec "
        "(its schema declares string fields with None defaults).",
        "Skip `dino convert`: DINO trains from COCO JSON directly (dataset.train_data_sources); "
        "use another TAO version to convert, or convert with your own script.",
        source="reference/tao7/skills/models/tao-train-dino/references/dino-actions-errors.md "
        "('dino convert fails before reading the spec')",
    ),
    ErrorRule(
        "NEMO1",
        ("Missing mandatory value",),
        "NeMo stopped: a value NVIDIA's spec file leaves as ??? (a manifest, data file or folder) was "
        "never set; the error line names it.",
        "Set it: tao-tui set --project DIR 'KEY=/workspace/tao-experiments/data/...' (or ✎ in the "
        "wizard); pre-flight lists every ??? value a stage still has.",
        source="omegaconf raises MissingMandatoryValue ('Missing mandatory value: <key>') when a '???' "
        "value is read (omry/omegaconf issue #9; the message as printed in motional/nuplan-devkit "
        "issue #270); the TAO 3.22/4.0 NeMo specs leave dataset paths as ??? (tao_tui/specs/downloaded.py)",
    ),
    ErrorRule(
        "D0",
        ("Error response from daemon",),
        "Docker refused to start the container.",
        "Read Docker's reason in the message; `docker info` and `tao-tui doctor` check the usual causes.",
        source="Docker's CLI and API prefix the engine's refusals with 'Error response from daemon'",
    ),
    ErrorRule(
        "INT",
        ("KeyboardInterrupt", "Training was interrupted"),
        "The run was interrupted.",
        "Start the stage again; training resumes from the last checkpoint in the same results folder.",
        source="Python's KeyboardInterrupt; reference/tao-pitfalls.md row P10 (re-running train "
        "into the same results folder resumes)",
    ),
]

# the rules whose fact is a row of reference/tao-pitfalls.md §1 (the row cites NVIDIA's source)
ERROR_RULES = [
    rule if rule.source else _replace(rule, source=f"reference/tao-pitfalls.md row {rule.id}")
    for rule in ERROR_RULES
]

_GENERIC_FIX = (
    "Read the last lines of the run log above the error; if it names a spec field or a path, "
    "fix it in the spec or in ~/.tao_mounts.json and run the stage again."
)


def match_error(text: str, final: str | None = None) -> ErrorRule | None:
    """The first rule whose gate and pattern match ``final`` (a traceback's last line), else ``text``."""
    for candidate in (final, text):
        if not candidate:
            continue
        for rule in ERROR_RULES:
            for needle in rule.gate:
                if needle in candidate:
                    if rule.pattern is None or rule.pattern.search(candidate):
                        return rule
                    break
    return None
