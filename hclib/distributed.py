"""One fine-tuning script for one process or several, started by ``accelerate launch``.

The script (:func:`main`, run as ``python -m hclib.distributed``) fine-tunes the MiniLM review classifier
with :class:`hclib.train.Trainer` and saves its final weights and step times. The Trainer is written on
Hugging Face Accelerate, so the same script runs as one process or as several data-parallel processes: each
takes its share of every global batch, and the gradients are averaged across processes before each step
(on CPUs over the gloo backend). :func:`launch` starts it:

    python -m accelerate.commands.launch --cpu --num_processes 1 -m hclib.distributed --out one.pt
    python -m accelerate.commands.launch --multi_gpu --num_processes 2 --num_machines 1 \\
        --mixed_precision no --dynamo_backend no -m hclib.distributed --out two.pt --threads 1

(``--multi_gpu`` selects Accelerate's multi-process launcher; without CUDA the processes run on the CPU.)

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
    """Run the script with ``num_processes`` processes and return what it saved.

    ``options`` are the script's arguments (``reviews=256, steps=8, ...``; see ``python -m hclib.distributed
    --help``). A failure raises with the end of the processes' output.
    """
    import torch

    out = check_path("out", out)
    args = ["--out", str(out)]
    for key, value in options.items():
        args += [f"--{key.replace('_', '-')}", str(value)]
    done = subprocess.run([sys.executable, *launch_command(num_processes, args)], capture_output=True, text=True,
                          timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"accelerate launch with {num_processes} process(es) failed (exit {done.returncode}):\n"
                           + (done.stdout + done.stderr)[-3000:])
    return torch.load(out, weights_only=True)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m hclib.distributed", description=__doc__.splitlines()[0])
    p.add_argument("--out", required=True, help="file for the final weights and timings (torch.save)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--reviews", type=int, default=256, help="training reviews (a stratified subset)")
    p.add_argument("--max-length", type=int, default=64, help="tokens a review at most")
    p.add_argument("--batch", type=int, default=16, help="global batch: samples an optimizer step, all processes")
    p.add_argument("--steps", type=int, default=16, help="optimizer steps")
    p.add_argument("--lr", type=float, default=1e-4)
    p.add_argument("--threads", type=int, default=0, help="torch threads a process (0: torch's default)")
    return p


def main(argv: list[str] | None = None) -> None:
    """Fine-tune MiniLM (mean pooling, no dropout, AdamW, fp32) on reviews and save weights and step times."""
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

    train = review_splits(seed=0, train_limit=args.reviews)["train"]
    data = TextDataset(train.text.tolist(), train.label.tolist(), max_length=args.max_length)
    torch.manual_seed(args.seed)
    model = load_encoder(pooling="mean", dropout=0.0)
    timer = StepTimes()
    config = TrainConfig(max_steps=args.steps, batch_size=args.batch, lr=args.lr, warmup=0.1, seed=args.seed,
                         precision="fp32", device="cpu", progress=False)
    trainer = Trainer(model, config, callbacks=[timer])
    record = trainer.fit(data)
    if trainer.accelerator.is_main_process:
        final = trainer.accelerator.unwrap_model(trainer.model)
        weights = torch.cat([p.detach().flatten() for p in final.parameters()])
        torch.save({"weights": weights, "num_processes": record.num_processes, "samples": record.samples,
                    "train_seconds": record.train_seconds, "step_seconds": torch.tensor(timer.seconds),
                    "threads": torch.get_num_threads()}, args.out)


if __name__ == "__main__":
    main()
