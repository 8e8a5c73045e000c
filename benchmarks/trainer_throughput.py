"""hclib's Trainer against a plain Hugging Face Trainer on the same MiniLM fine-tune.

Same data (fine-food reviews), model, global batch, max length, number of steps,
learning rate and precision; both pad each batch to its longest review. hclib
adds what the issue allows as fair means: length-grouped batches and, on a GPU,
the fused AdamW. Prints samples/s of both and their ratio, measured in one run.

    python benchmarks/trainer_throughput.py                 # CPU: 40 steps
    python benchmarks/trainer_throughput.py --steps 200     # e.g. on a GPU
    python benchmarks/trainer_throughput.py --steps 8 --max-length 128 --repeats 3 --json out.json

With ``--repeats``, the three trainers run once a round each, in a shuffled order, so that a slow spell of
the machine hits all alike and the ratios pair by round; ``--json`` saves one row a run. Each trainer's
seconds are those of its training loop (model loading and setup excluded).
"""
from __future__ import annotations

import argparse
import json
import os
import tempfile
import time

import numpy as np
import torch

from hclib.data import load_reviews
from hclib.machine import device_description, resolve_device
from hclib.models import TextDataset, load_encoder
from hclib.train import TrainConfig, Trainer


def run_hclib(data: TextDataset, args, group_by_length: bool) -> float:
    torch.manual_seed(0)
    trainer = Trainer(load_encoder(), TrainConfig(max_steps=args.steps, batch_size=args.batch, lr=5e-5,
                                                  group_by_length=group_by_length, progress=False))
    record = trainer.fit(data)
    return record.samples_per_second


def run_hf(data: TextDataset, args) -> float:
    from transformers import Trainer as HFTrainer
    from transformers import TrainerCallback, TrainingArguments

    class Clock(TrainerCallback):
        """The training loop's own seconds, as hclib's record counts them (setup before the loop excluded)."""

        def on_train_begin(self, args, state, control, **kwargs):
            self.start = time.perf_counter()

        def on_train_end(self, args, state, control, **kwargs):
            self.seconds = time.perf_counter() - self.start

    torch.manual_seed(0)
    bf16 = resolve_device("auto").type == "cuda" and torch.cuda.is_bf16_supported()
    with tempfile.TemporaryDirectory() as out:
        hf_args = TrainingArguments(output_dir=out, max_steps=args.steps, per_device_train_batch_size=args.batch,
                                    learning_rate=5e-5, bf16=bf16, report_to=[], save_strategy="no",
                                    logging_strategy="no", disable_tqdm=True, dataloader_num_workers=0,
                                    use_cpu=resolve_device("auto").type == "cpu")
        clock = Clock()
        trainer = HFTrainer(model=load_encoder(), args=hf_args, train_dataset=data, data_collator=data.collate,
                            callbacks=[clock])
        trainer.train()
    return args.steps * args.batch / clock.seconds


def measure(steps: int = 40, batch: int = 16, max_length: int = 256, repeats: int = 1,
            limit: int | None = None) -> list[dict]:
    """Samples a second of the three trainers, each once a round in a shuffled order, ``repeats`` rounds; one
    dict a run. Each trainer's seconds are its training loop's (model loading and setup excluded).

    ``limit`` tokenises a stratified subset of that many reviews instead of all (quicker; the batches are drawn
    from it).
    """
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    args = argparse.Namespace(steps=steps, batch=batch, max_length=max_length)
    reviews = load_reviews("train", limit=limit)
    data = TextDataset(reviews.text.tolist(), reviews.label.tolist(), max_length=max_length)
    runs = {"Hugging Face Trainer": lambda: run_hf(data, args),
            "hclib Trainer, random batches": lambda: run_hclib(data, args, group_by_length=False),
            "hclib Trainer, length-grouped batches": lambda: run_hclib(data, args, group_by_length=True)}
    names, rng, rows = list(runs), np.random.default_rng(0), []
    for repeat in range(repeats):
        for i in rng.permutation(len(names)):  # neither a slow spell nor going first favours one trainer
            rows.append({"trainer": names[i], "repeat": repeat, "samples_per_second": runs[names[i]]()})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--max-length", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=1, help="rounds of the three trainers, in turn")
    parser.add_argument("--json", default=None, help="save one row a run (trainer, repeat, samples/s) here")
    args = parser.parse_args()
    print(f"device: {device_description('auto')}; {args.steps} steps, batch {args.batch}, "
          f"max length {args.max_length}, {args.repeats} repeat(s)")
    rows = measure(args.steps, args.batch, args.max_length, args.repeats)
    for repeat in range(args.repeats):
        speed = {r["trainer"]: r["samples_per_second"] for r in rows if r["repeat"] == repeat}
        hf, plain, ours = (speed["Hugging Face Trainer"], speed["hclib Trainer, random batches"],
                           speed["hclib Trainer, length-grouped batches"])
        print(f"repeat {repeat}: Hugging Face Trainer {hf:8.1f} samples/s; hclib, random batches {plain:8.1f} "
              f"(ratio {plain / hf:.2f}); hclib, length-grouped {ours:8.1f} (ratio {ours / hf:.2f})")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"device": device_description("auto"), "steps": args.steps, "batch": args.batch,
                       "max_length": args.max_length, "rows": rows}, f, indent=1)


if __name__ == "__main__":
    main()
