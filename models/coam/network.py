"""The CoAM network: a U-Net run on image A, conditioned on image B by co-attention.

Wiles, Ehrhardt, Zisserman, "Co-Attention for Conditioned Image Matching", CVPR 2021.
The encoder runs on both images with shared weights. At the two deepest encoder levels a
co-attention module lets every position of A attend over all positions of B and concatenates
the attended B features onto A's. The decoder climbs back to stride 4 with skip connections and
yields unit-length descriptors and a per-cell distinctiveness score.

Export-friendly by construction: attention is Reshape/MatMul/Softmax, upsampling is Resize,
no grid_sample, no 5-D einsum; every op is in ONNX opset 17 with dynamic H and W.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, asdict

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class CoamConfig:
    # Channels of the encoder levels at strides 2, 4, 8, 16, 32.
    widths: tuple = (16, 32, 64, 96, 128)
    # Co-attention runs at the deepest `coattention_levels` levels (the paper: the two deepest).
    coattention_levels: int = 2
    attention_dim: int = 32
    decoder_widths: tuple = (96, 64, 48)  # at strides 16, 8, 4
    descriptor_dim: int = 64
    distinctiveness_hidden: int = 32

    @property
    def stride(self) -> int:
        return 4

    @property
    def multiple(self) -> int:
        return 2 ** len(self.widths)

    def to_dict(self) -> dict:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @staticmethod
    def from_dict(d: dict) -> "CoamConfig":
        return CoamConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in d.items()})


def conv_bn_relu(cin: int, cout: int, stride: int = 1, k: int = 3) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, k, stride=stride, padding=k // 2, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


class EncoderLevel(nn.Sequential):
    """Halve the resolution, then refine."""

    def __init__(self, cin: int, cout: int):
        super().__init__(conv_bn_relu(cin, cout, stride=2), conv_bn_relu(cout, cout))


class CoAttention(nn.Module):
    """Every position of A attends over all positions of B (softmax over B's flattened grid);
    the attention-weighted sum of B's features is concatenated onto A's and fused."""

    def __init__(self, channels: int, attention_dim: int):
        super().__init__()
        self.query = nn.Conv2d(channels, attention_dim, 1)
        self.key = nn.Conv2d(channels, attention_dim, 1)
        self.fuse = conv_bn_relu(2 * channels, channels)
        self.scale = 1.0 / math.sqrt(attention_dim)

    def forward(self, feat_a: torch.Tensor, feat_b: torch.Tensor) -> torch.Tensor:
        n, c, h, w = feat_a.shape
        q = self.query(feat_a).flatten(2).transpose(1, 2)  # n, hwA, d
        k = self.key(feat_b).flatten(2)  # n, d, hwB
        attention = torch.softmax(torch.matmul(q, k) * self.scale, dim=-1)  # n, hwA, hwB
        v = feat_b.flatten(2).transpose(1, 2)  # n, hwB, c
        attended = torch.matmul(attention, v).transpose(1, 2).reshape(n, c, h, w)
        return self.fuse(torch.cat([feat_a, attended], dim=1))


class CoamNet(nn.Module):
    """forward(image, condition) -> (descriptors [N,D,H/4,W/4] unit L2, distinctiveness [N,1,H/4,W/4])."""

    def __init__(self, config: CoamConfig | None = None):
        super().__init__()
        self.config = config = config or CoamConfig()
        w = config.widths
        self.register_buffer("mean", torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1))
        self.encoder = nn.ModuleList(EncoderLevel(cin, cout) for cin, cout in zip((3,) + w[:-1], w))
        self.first_attended = len(w) - config.coattention_levels
        self.coattention = nn.ModuleList(
            CoAttention(c, config.attention_dim) for c in w[self.first_attended:]
        )
        # Decoder: from the deepest level up to stride 4, one fusion per level with the skip.
        dec = []
        cin = w[-1]
        skips = list(reversed(w[1:-1]))  # strides 16, 8, 4
        for skip, cout in zip(skips, config.decoder_widths):
            dec.append(conv_bn_relu(cin + skip, cout))
            cin = cout
        self.decoder = nn.ModuleList(dec)
        self.descriptor_head = nn.Conv2d(cin, config.descriptor_dim, 1)
        hidden = config.distinctiveness_hidden
        self.distinctiveness_head = nn.Sequential(
            nn.Conv2d(cin, hidden, 1), nn.ReLU(inplace=True), nn.Conv2d(hidden, 1, 1), nn.Sigmoid()
        )

    def encode(self, x: torch.Tensor) -> list[torch.Tensor]:
        x = (x - self.mean) / self.std
        feats = []
        for level in self.encoder:
            x = level(x)
            feats.append(x)
        return feats

    def decode(self, feats_a: list[torch.Tensor], feats_b: list[torch.Tensor]):
        feats = list(feats_a)
        for i, attend in enumerate(self.coattention):
            level = self.first_attended + i
            feats[level] = attend(feats_a[level], feats_b[level])
        x = feats[-1]
        for block, skip in zip(self.decoder, reversed(feats[1:-1])):
            x = F.interpolate(x, scale_factor=2.0, mode="bilinear", align_corners=False)
            x = block(torch.cat([x, skip], dim=1))
        descriptors = F.normalize(self.descriptor_head(x), p=2.0, dim=1, eps=1e-6)
        # The head reads the decoder features but does not steer them: distinctiveness
        # describes the descriptor, it should not reshape it.
        distinctiveness = self.distinctiveness_head(x.detach() if self.training else x)
        return descriptors, distinctiveness

    def forward(self, image: torch.Tensor, condition: torch.Tensor):
        return self.decode(self.encode(image), self.encode(condition))

    def forward_pair(self, a: torch.Tensor, b: torch.Tensor):
        """Both directions of a pair with each image encoded once: (A|B, B|A)."""
        fa, fb = self.encode(a), self.encode(b)
        return self.decode(fa, fb), self.decode(fb, fa)


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
