"""Low-rank adapters for the encoder's linear layers, with an on/off switch.

The adapter teaches the encoder what matters for listening (a reply's stance,
not its topic) while the stored artifact stays small: only the low-rank
matrices are saved. Switched off, the encoder is exactly the base model,
which is what disclosures are encoded with (so their embeddings can be
cached and computed once for training).
"""

from __future__ import annotations

import math

import torch

TARGETS = ("query", "key", "value", "attention.output.dense", "intermediate.dense", "output.dense")


class LoRALinear(torch.nn.Module):
    def __init__(self, base: torch.nn.Linear, rank: int, alpha: float):
        super().__init__()
        self.base = base
        self.rank = rank
        self.scale = alpha / rank
        self.lora_a = torch.nn.Parameter(torch.empty(rank, base.in_features))
        self.lora_b = torch.nn.Parameter(torch.zeros(base.out_features, rank))
        torch.nn.init.kaiming_uniform_(self.lora_a, a=math.sqrt(5))
        self.enabled = True
        self.merged: torch.Tensor | None = None

    def merge(self) -> None:
        """For inference: fold the adapter into one weight, so a pass costs what the base model's does."""
        with torch.no_grad():
            self.merged = self.base.weight + (self.lora_b @ self.lora_a) * self.scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.enabled:
            return self.base(x)
        if self.merged is not None and not torch.is_grad_enabled():
            return torch.nn.functional.linear(x, self.merged, self.base.bias)
        out = self.base(x)
        return out + (x @ self.lora_a.t().to(x.dtype)) @ self.lora_b.t().to(x.dtype) * self.scale


def add_adapters(model: torch.nn.Module, rank: int = 8, alpha: float = 16.0) -> list[LoRALinear]:
    """Wrap the targeted linear layers of every transformer layer; freeze everything else."""
    for parameter in model.parameters():
        parameter.requires_grad_(False)
    wrapped = []
    for name, module in list(model.named_modules()):
        for child_name, child in list(module.named_children()):
            full = f"{name}.{child_name}" if name else child_name
            if isinstance(child, torch.nn.Linear) and ".layer." in full and any(full.endswith(t) for t in TARGETS):
                adapter = LoRALinear(child, rank, alpha)
                setattr(module, child_name, adapter)
                wrapped.append(adapter)
    return wrapped


def merge_adapters(model: torch.nn.Module) -> None:
    for module in model.modules():
        if isinstance(module, LoRALinear):
            module.merge()


def set_enabled(model: torch.nn.Module, enabled: bool) -> None:
    for module in model.modules():
        if isinstance(module, LoRALinear):
            module.enabled = enabled


def adapter_state(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone().contiguous() for k, v in model.state_dict().items() if ".lora_" in k}


def load_adapter_state(model: torch.nn.Module, state: dict[str, torch.Tensor]) -> None:
    missing = [k for k in (k for k in model.state_dict() if ".lora_" in k) if k not in state]
    if missing:
        raise ValueError(f"the stored adapter does not fit this encoder ({missing[0]} missing)")
    model.load_state_dict(state, strict=False)
