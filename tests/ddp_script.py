"""Run by test_train.py alone and under `accelerate launch` with 2 CPU processes."""
import json
import sys

import torch

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from test_train import toy_data, toy_model  # noqa: E402

from hclib.train import TrainConfig, Trainer  # noqa: E402


def main(out: str) -> None:
    torch.set_num_threads(1)
    trainer = Trainer(toy_model(dropout=0.0), TrainConfig(epochs=2, batch_size=32, lr=5e-3, progress=False))
    record = trainer.fit(toy_data(256), toy_data(64, seed=1))
    if trainer.accelerator.is_main_process:
        model = trainer.accelerator.unwrap_model(trainer.model)
        weights = torch.cat([p.detach().flatten() for p in model.parameters()])
        with open(out, "w") as f:
            json.dump({"num_processes": record.num_processes, "weights": weights.tolist(),
                       "val_loss": record.history[-1]["val_loss"]}, f)


if __name__ == "__main__":  # pytest's doctest collection imports this file: do nothing then
    main(sys.argv[1])
