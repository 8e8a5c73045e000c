"""One fine-tuning script for one process or several, started by ``accelerate launch``.

The script (:func:`main`, run as ``python -m hclib.distributed``) fine-tunes the MiniLM review classifier
with :class:`hclib.train.Trainer` for one or more seeds in turn and saves, for each, the final weights and the
step times. The Trainer is written on Hugging Face Accelerate, so the same script runs as one process or as
several data-parallel processes: each takes its share of every global batch, and the gradients are averaged
across processes before each step (on CPUs over the gloo backend). The device and the precision are the
launcher's (:func:`launcher_settings`), and the weights are gathered whole through Accelerate
(``get_state_dict``), so under sharding (FSDP, DeepSpeed ZeRO-3) the file holds full weights, not one process's
shards. :func:`launch` starts it on the CPU:

    python -m accelerate.commands.launch --cpu --num_processes 1 -m hclib.distributed --out one.pt
    python -m accelerate.commands.launch --multi_gpu --num_processes 2 --num_machines 1 \\
        --mixed_precision no --dynamo_backend no -m hclib.distributed --out two.pt --threads 1

(``--multi_gpu`` selects Accelerate's multi-process launcher; without CUDA the processes run on the CPU.)
:func:`weight_difference` compares two runs' weights.

>>> launch_command(2, ["--out", "run.pt"])[:3]
['-m', 'accelerate.commands.launch', '--multi_gpu']
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

from hclib.validate import check_int, check_path


def launch_command(num_processes: int, script_args: list[str], mixed_precision: str = "no") -> list[str]:
    """The arguments after ``python`` that start this module under ``accelerate launch`` on the CPU."""
    num_processes = check_int("num_processes", num_processes, minimum=1)
    if mixed_precision not in ("no", "bf16"):
        raise ValueError(f"mixed_precision={mixed_precision!r}: use 'no' or 'bf16' on a CPU")
    if num_processes == 1:
        head = ["--cpu", "--num_processes", "1"]
    else:
        head = ["--multi_gpu", "--num_processes", str(num_processes), "--num_machines", "1"]
    return ["-m", "accelerate.commands.launch", *head, "--mixed_precision", mixed_precision,
            "--dynamo_backend", "no", "-m", "hclib.distributed", *[str(a) for a in script_args]]


def launch(num_processes: int, out: str | Path, timeout: float = 900, **options) -> dict:
    """Run the script with ``num_processes`` CPU processes and return what it saved.

    ``options`` are the script's arguments (``reviews=256, steps=8, seeds=[0, 1], ...``; see
    ``python -m hclib.distributed --help``). A failure raises with the end of the processes' output.
    """
    import torch

    out = check_path("out", out)
    args = ["--out", str(out)]
    for key, value in options.items():
        values = value if isinstance(value, (list, tuple, range)) else [value]
        args += [f"--{key.replace('_', '-')}", *[str(v) for v in values]]
    done = subprocess.run([sys.executable, *launch_command(num_processes, args)], capture_output=True, text=True,
                          timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"accelerate launch with {num_processes} process(es) failed (exit {done.returncode}):\n"
                           + (done.stdout + done.stderr)[-3000:])
    return torch.load(out, weights_only=True)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m hclib.distributed", description=__doc__.splitlines()[0])
    p.add_argument("--out", required=True, help="file for the final weights and timings (torch.save)")
    p.add_argument("--seeds", type=int, nargs="+", default=[0], help="one run a seed, in turn")
    p.add_argument("--reviews", type=int, default=256, help="training reviews (a stratified subset)")
    p.add_argument("--max-length", type=int, default=64, help="tokens a review at most")
    p.add_argument("--batch", type=int, default=16, help="global batch: samples an optimizer step, all processes")
    p.add_argument("--steps", type=int, default=16, help="optimizer steps")
    p.add_argument("--lr", type=float, default=1e-4)
    p.add_argument("--threads", type=int, default=0, help="torch threads a process (0: torch's default)")
    return p


def launcher_settings() -> tuple[str, str]:
    """The device type (``'cpu'``, ``'cuda'``) and precision (``'fp32'``, ``'bf16'``, ``'fp16'``) that
    ``accelerate launch`` chose for this process (its ``--cpu`` and ``--mixed_precision`` options), read from
    the environment the launcher sets. No Accelerate state is created here: the first one fixes the process
    group, and only the Trainer's ``Accelerator(cpu=...)`` makes CPU processes one group.

    >>> launcher_settings()[1] in ("fp32", "bf16", "fp16")
    True
    """
    import torch
    from accelerate.utils import parse_choice_from_env, parse_flag_from_env

    cpu = parse_flag_from_env("ACCELERATE_USE_CPU") or not torch.cuda.is_available()
    mixed = parse_choice_from_env("ACCELERATE_MIXED_PRECISION", "no")
    return "cpu" if cpu else "cuda", {"no": "fp32"}.get(mixed, mixed)


def weight_difference(one: dict, two: dict) -> float:
    """Largest absolute difference between two state dicts of the same model (``{name: tensor}``).

    >>> import torch
    >>> weight_difference({"w": torch.zeros(3)}, {"w": torch.tensor([0.0, 0.25, -0.5])})
    0.5
    """
    if not isinstance(one, dict) or not isinstance(two, dict) or set(one) != set(two):
        raise ValueError("one and two must be state dicts of the same model (the same parameter names); "
                         "compare runs of the same script")
    return max(float((one[k].float() - two[k].float()).abs().max()) for k in one) if one else 0.0


def main(argv: list[str] | None = None) -> None:
    """Fine-tune MiniLM (mean pooling, no dropout, AdamW) on reviews for each seed; save weights and step times."""
    args = _parser().parse_args(argv)
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    from hclib.data import review_splits
    from hclib.models import TextDataset, load_encoder
    from hclib.train import Callback, TrainConfig, Trainer

    class StepTimes(Callback):
        def on_train_begin(self, trainer) -> None:
            self.last, self.seconds = time.perf_counter(), []

        def on_step_end(self, trainer, loss) -> None:
            now = time.perf_counter()
            self.seconds.append(now - self.last)
            self.last = now

    device, precision = launcher_settings()
    train = review_splits(seed=0, train_limit=args.reviews)["train"]
    data = TextDataset(train.text.tolist(), train.label.tolist(), max_length=args.max_length)
    runs = []
    for seed in args.seeds:
        torch.manual_seed(seed)
        model = load_encoder(pooling="mean", dropout=0.0)
        timer = StepTimes()
        config = TrainConfig(max_steps=args.steps, batch_size=args.batch, lr=args.lr, warmup=0.1, seed=seed,
                             precision=precision, device=device, progress=False)
        trainer = Trainer(model, config, callbacks=[timer])
        record = trainer.fit(data)
        weights = trainer.accelerator.get_state_dict(trainer.model)  # every process takes part (sharding)
        if trainer.accelerator.is_main_process:
            runs.append({"seed": seed, "weights": {k: v.detach().cpu() for k, v in weights.items()},
                         "samples": record.samples, "train_seconds": record.train_seconds,
                         "step_seconds": torch.tensor(timer.seconds)})
    if trainer.accelerator.is_main_process:
        torch.save({"runs": runs, "num_processes": record.num_processes, "precision": record.precision,
                    "device": device, "threads": torch.get_num_threads()}, args.out)


if __name__ == "__main__":
    main()
