"""Under DDP every evaluation example is tested once: no rank repeats one to even out the ranks."""

import os
import socket

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch.utils.data import TensorDataset

from zoo.data.arrays import array_loader


def _deal(rank: int, world_size: int, port: int, out) -> None:
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    dist.init_process_group("gloo", rank=rank, world_size=world_size)
    try:
        dataset = TensorDataset(torch.arange(5))
        out[rank] = [int(i) for (batch,) in array_loader(dataset, batch_size=2, num_workers=0) for i in batch]
    finally:
        dist.destroy_process_group()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_each_example_goes_to_exactly_one_rank_of_two():
    with mp.Manager() as manager:
        out = manager.dict()
        mp.spawn(_deal, args=(2, _free_port(), out), nprocs=2, join=True)
        dealt = {rank: out[rank] for rank in (0, 1)}
    assert dealt == {0: [0, 2, 4], 1: [1, 3]}  # 5 examples, none twice (a padded sampler gives rank 1 [1, 3, 0])
