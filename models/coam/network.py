"""The CoAM network: a U-Net run on image A, conditioned on image B by co-attention.

Wiles, Ehrhardt, Zisserman, "Co-Attention for Conditioned Image Matching", CVPR 2021.
The encoder runs on both images with shared weights: five levels at strides 2-32, either plain
conv-BN-ReLU blocks trained from scratch (`encoder="plain"`), MobileNetV2 initialised from
ImageNet (`encoder="mobilenetv2"`, cut after its bottlenecks 0, 2, 5, 12, 16; its 320-channel
deepest level projected to 128 by a 1x1 conv), or the paper's ResNet50 (`encoder="resnet50v2"`,
pre-activation v2: stem and stages 1-3 from ImageNet at strides 2-16, their 256/512/1024 channels
projected by 1x1 convs; the stride-32 level is a new conv level, as ImageNet stage 4 is not
available). A pretrained encoder keeps its BatchNorm statistics frozen. At the two deepest encoder levels a
co-attention module lets every position of A attend over all positions of B and concatenates
the attended B features onto A's. The decoder climbs back to stride 4 with skip connections and
yields unit-length descriptors and a per-cell distinctiveness score.

Export-friendly by construction: attention is Reshape/MatMul/Softmax, upsampling is Resize,
no grid_sample, no 5-D einsum; every op is in ONNX opset 17 with dynamic H and W.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass, field, asdict

import torch
import torch.nn as nn
import torch.nn.functional as F


ENCODERS = ("plain", "mobilenetv2", "resnet50v2")
# The channels each pretrained encoder gives at strides 2, 4, 8, 16, 32 (ResNet50 v2's stride-32
# level is not ImageNet's stage 4 but a new conv level whose width is the configured one).
PRETRAINED_WIDTHS = {"mobilenetv2": (16, 24, 32, 96, 320), "resnet50v2": (64, 256, 512, 1024, None)}
# The widths the network uses around a pretrained encoder: its deepest level goes through a 1x1
# conv-BN-ReLU (the neck) to fewer channels, so co-attention and its fusing conv there stay small
# (at MobileNetV2's 320 channels the fusing 3x3 conv alone would be 1.8 M parameters).
# ResNet50's wide levels are projected the same way before the decoder and co-attention read them.
DEFAULT_WIDTHS = {"mobilenetv2": (16, 24, 32, 96, 128), "resnet50v2": (64, 64, 96, 128, 128)}
# ImageNet weights, one .npy per tensor (../shared/pretrained/SOURCES.md).
PRETRAINED_ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared", "pretrained"))


@dataclass
class CoamConfig:
    # "plain" (conv-BN-ReLU levels, random init) or "mobilenetv2" (ImageNet init).
    encoder: str = "plain"
    # Channels of the encoder levels at strides 2, 4, 8, 16, 32.
    widths: tuple = (16, 32, 64, 96, 128)
    # Co-attention runs at the deepest `coattention_levels` levels (the paper: the two deepest).
    coattention_levels: int = 2
    attention_dim: int = 32
    decoder_widths: tuple = (96, 64, 48)  # at strides 16, 8, 4 (two widths: the descriptors at stride 8)
    descriptor_dim: int = 64
    distinctiveness_hidden: int = 32
    # Every BatchNorm's epsilon: 0 in a float16-exact export, whose variances already hold it (coam/fp16.py).
    batchnorm_eps: float = 1e-5

    def __post_init__(self):
        if self.encoder not in ENCODERS:
            raise ValueError(f"unknown encoder {self.encoder!r}: one of {', '.join(ENCODERS)}")
        want = PRETRAINED_WIDTHS.get(self.encoder)
        if self.encoder == "resnet50v2":
            # Every level but the stem's may be projected to any width.
            if len(self.widths) != len(want) or self.widths[0] != want[0]:
                raise ValueError(f"the resnet50v2 encoder has five levels, the first of {want[0]} channels, "
                                 f"not {tuple(self.widths)}")
        elif want is not None and (len(self.widths) != len(want) or tuple(self.widths[:-1]) != want[:-1]):
            raise ValueError(f"the {self.encoder} encoder's levels have {want} channels (the last may be "
                             f"projected to any width), not {tuple(self.widths)}")

    @staticmethod
    def for_encoder(encoder: str) -> "CoamConfig":
        """The default network around an encoder (its levels' widths fixed by the encoder)."""
        if encoder in DEFAULT_WIDTHS:
            return CoamConfig(encoder=encoder, widths=DEFAULT_WIDTHS[encoder])
        return CoamConfig(encoder=encoder)

    @property
    def stride(self) -> int:
        """The descriptors' stride: the decoder climbs one level per width, from stride 32 down."""
        return 2 ** (len(self.widths) - len(self.decoder_widths))

    @staticmethod
    def output_stride_widths(stride: int) -> tuple:
        """The decoder widths that end at `stride`: 4 (the release, three levels) or 8 (two)."""
        widths = {4: (96, 64, 48), 8: (96, 64)}
        if stride not in widths:
            raise ValueError(f"output stride {stride}: 4 or 8")
        return widths[stride]

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


class InvertedResidual(nn.Module):
    """MobileNetV2's linear bottleneck: 1x1 expansion, depthwise 3x3 (the stride), linear 1x1
    projection, a residual when the shape is kept. Named as the ImageNet tensors are (conv0-2,
    bn0-2: conv0 exists even at expansion 1)."""

    CONV_BN_PAIRS = (("conv0", "bn0"), ("conv1", "bn1"), ("conv2", "bn2"))  # each BN reads only its conv

    def __init__(self, cin: int, cout: int, expansion: int, stride: int):
        super().__init__()
        mid = cin * expansion
        self.conv0, self.bn0 = nn.Conv2d(cin, mid, 1, bias=False), nn.BatchNorm2d(mid)
        self.conv1 = nn.Conv2d(mid, mid, 3, stride=stride, padding=1, groups=mid, bias=False)
        self.bn1 = nn.BatchNorm2d(mid)
        self.conv2, self.bn2 = nn.Conv2d(mid, cout, 1, bias=False), nn.BatchNorm2d(cout)
        self.residual = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.relu6(self.bn0(self.conv0(x)))
        y = F.relu6(self.bn1(self.conv1(y)))
        y = self.bn2(self.conv2(y))
        return x + y if self.residual else y


class MobileNetV2Stem(nn.Module):
    CONV_BN_PAIRS = (("conv0", "bn0"),)

    def __init__(self):
        super().__init__()
        self.conv0, self.bn0 = nn.Conv2d(3, 32, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(32)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu6(self.bn0(self.conv0(x)))


# MobileNetV2 1.0's bottlenecks: (expansion, channels, stride); the levels end after 0, 2, 5, 12, 16.
MOBILENETV2_BOTTLENECKS = ((1, 16, 1), (6, 24, 2), (6, 24, 1), (6, 32, 2), (6, 32, 1), (6, 32, 1),
                           (6, 64, 2), (6, 64, 1), (6, 64, 1), (6, 64, 1), (6, 96, 1), (6, 96, 1),
                           (6, 96, 1), (6, 160, 2), (6, 160, 1), (6, 160, 1), (6, 320, 1))
MOBILENETV2_LEVEL_ENDS = (0, 2, 5, 12, 16)


def mobilenetv2_levels() -> nn.ModuleList:
    """MobileNetV2's features up to bottleneck 16, as five levels at strides 2, 4, 8, 16, 32."""
    levels, blocks, cin, first = [], [MobileNetV2Stem()], 32, 0
    for i, (t, c, s) in enumerate(MOBILENETV2_BOTTLENECKS):
        blocks.append(InvertedResidual(cin, c, t, s))
        cin = c
        if i in MOBILENETV2_LEVEL_ENDS:
            levels.append(nn.Sequential(*blocks))
            blocks = []
    return nn.ModuleList(levels)


# Gluon's names for a BatchNorm's tensors.
GLUON_BN_NAMES = {"weight": "gamma", "bias": "beta", "running_mean": "running_mean", "running_var": "running_var"}


def _npy_loader(root: str, subfolder: str, what: str):
    """load(file, tensor): copy `<root>/<subfolder>/weights/<file>` into the tensor. A missing folder
    or file, or a shape that differs, is an error that says which."""
    import numpy as np  # noqa: PLC0415

    folder = os.path.join(root, subfolder, "weights")
    if not os.path.isdir(folder):
        raise FileNotFoundError(
            f"no {what} ImageNet weights at {os.path.abspath(folder)} (see ../shared/pretrained/SOURCES.md); "
            f"train with --encoder plain, or point --pretrained at the folder that holds {subfolder}/")

    def load(file: str, tensor: torch.Tensor) -> None:
        path = os.path.join(folder, file)
        if not os.path.exists(path):
            raise FileNotFoundError(f"{what} ImageNet weights: {path} is missing")
        value = torch.from_numpy(np.load(path)).float()
        if value.shape != tensor.shape:
            raise ValueError(f"{file} has shape {tuple(value.shape)}, the network needs {tuple(tensor.shape)}")
        tensor.copy_(value)
    return load


def load_mobilenetv2_imagenet(levels: nn.ModuleList, root: str = PRETRAINED_ROOT) -> int:
    """Copy the ImageNet tensors (`<root>/mobilenetv2_batchnorm_nchw/weights/*.npy`, Gluon names)
    into `mobilenetv2_levels()`; returns how many tensors were loaded. Every tensor the levels
    need must be there: a missing folder or file is a FileNotFoundError that says which."""
    load = _npy_loader(root, "mobilenetv2_batchnorm_nchw", "MobileNetV2")
    prefix = "mobilenetv20_features_"
    modules = [m for level in levels for m in level]
    loaded = 0
    for k, module in enumerate(modules):
        gluon = prefix if k == 0 else f"{prefix}linearbottleneck{k - 1}_"
        for name, tensor in module.state_dict().items():
            if name.endswith("num_batches_tracked"):
                continue
            layer, param = name.rsplit(".", 1)
            if layer.startswith("conv"):
                load(f"{gluon}{layer}_weight.npy", tensor)
            else:
                load(f"{gluon}batchnorm{layer[2:]}_{GLUON_BN_NAMES[param]}.npy", tensor)
            loaded += 1
    return loaded


class BottleneckV2(nn.Module):
    """ResNet v2's pre-activation bottleneck: BN-ReLU, 1x1, BN-ReLU, 3x3 (the stride), BN-ReLU, 1x1,
    plus the residual (a strided 1x1 of the activated input when the shape changes). Layers named
    as in Gluon's BottleneckV2 (bn1-3, conv1-3, downsample)."""

    CONV_BN_PAIRS = (("conv1", "bn2"), ("conv2", "bn3"))  # bn1 reads the residual stream, not a conv

    def __init__(self, cin: int, cout: int, stride: int):
        super().__init__()
        mid = cout // 4
        self.bn1 = nn.BatchNorm2d(cin)
        self.conv1 = nn.Conv2d(cin, mid, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(mid)
        self.conv2 = nn.Conv2d(mid, mid, 3, stride=stride, padding=1, bias=False)
        self.bn3 = nn.BatchNorm2d(mid)
        self.conv3 = nn.Conv2d(mid, cout, 1, bias=False)
        self.downsample = nn.Conv2d(cin, cout, 1, stride=stride, bias=False) if stride != 1 or cin != cout else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.relu(self.bn1(x))
        residual = self.downsample(y) if self.downsample is not None else x
        y = self.conv1(y)
        y = self.conv2(F.relu(self.bn2(y)))
        y = self.conv3(F.relu(self.bn3(y)))
        return y + residual


class ResNetV2Stem(nn.Module):
    """The input BatchNorm (no scale or shift: a fixed normalisation), the 7x7 stride-2 conv, BN-ReLU."""

    CONV_BN_PAIRS = (("conv0", "bn0"),)

    def __init__(self):
        super().__init__()
        self.bn_input = nn.BatchNorm2d(3, affine=False)
        self.conv0 = nn.Conv2d(3, 64, 7, stride=2, padding=3, bias=False)
        self.bn0 = nn.BatchNorm2d(64)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.bn0(self.conv0(self.bn_input(x))))


# ResNet50's stages 1-3: (blocks, channels, stride); stage 4 (stride 32) has no ImageNet weights here.
RESNET50_STAGES = ((3, 256, 1), (4, 512, 2), (6, 1024, 2))


def resnet50v2_levels() -> nn.ModuleList:
    """ResNet50 v2 up to stage 3 as four levels at strides 2 (stem), 4, 8, 16 (stages 1-3; the max
    pool opens stage 1's level). Each stage's output is its residual stream (pre-activation)."""
    levels = [ResNetV2Stem()]
    cin = 64
    for i, (blocks, channels, stride) in enumerate(RESNET50_STAGES):
        layers = [nn.MaxPool2d(3, stride=2, padding=1)] if i == 0 else []
        for b in range(blocks):
            layers.append(BottleneckV2(cin, channels, stride if b == 0 else 1))
            cin = channels
        levels.append(nn.Sequential(*layers))
    return nn.ModuleList(levels)


def load_resnet50v2_imagenet(levels: nn.ModuleList, root: str = PRETRAINED_ROOT) -> int:
    """Copy the ImageNet tensors (`<root>/resnet50v2_nchw/weights/*.npy`, Gluon `resnetv24_` names)
    into `resnet50v2_levels()`; returns how many tensors were loaded."""
    load = _npy_loader(root, "resnet50v2_nchw", "ResNet50 v2")
    loaded = 0

    def load_bn(bn: nn.BatchNorm2d, gluon: str) -> None:
        nonlocal loaded
        for name, tensor in bn.state_dict().items():
            if name != "num_batches_tracked":
                load(f"{gluon}_{GLUON_BN_NAMES[name]}.npy", tensor)
                loaded += 1

    def load_conv(conv: nn.Conv2d, gluon: str) -> None:
        nonlocal loaded
        load(f"{gluon}_weight.npy", conv.weight.data)
        loaded += 1

    stem = levels[0]
    load_bn(stem.bn_input, "resnetv24_batchnorm0")  # Gluon's gamma/beta are fixed at 1/0 here
    load_conv(stem.conv0, "resnetv24_conv0")
    load_bn(stem.bn0, "resnetv24_batchnorm1")
    for s, level in enumerate(levels[1:], start=1):
        blocks = [m for m in level if isinstance(m, BottleneckV2)]
        # Gluon numbers a stage's layers in creation order: block 0 is batchnorm0-2, conv0-2 and
        # conv3 (its downsample); block k >= 1 is batchnorm3k..3k+2 and conv3k+1..3k+3.
        for k, block in enumerate(blocks):
            bn0, conv0 = 3 * k, 3 * k + (0 if k == 0 else 1)
            prefix = f"resnetv24_stage{s}_"
            for j, bn in enumerate((block.bn1, block.bn2, block.bn3)):
                load_bn(bn, f"{prefix}batchnorm{bn0 + j}")
            for j, conv in enumerate((block.conv1, block.conv2, block.conv3)):
                load_conv(conv, f"{prefix}conv{conv0 + j}")
            if block.downsample is not None:
                load_conv(block.downsample, f"{prefix}conv3")
    return loaded


class CoAttention(nn.Module):
    """Every position of A attends over all positions of B (softmax over B's flattened grid);
    the attention-weighted sum of B's features is concatenated onto A's and fused."""

    def __init__(self, channels: int, attention_dim: int):
        super().__init__()
        self.query = nn.Conv2d(channels, attention_dim, 1)
        self.key = nn.Conv2d(channels, attention_dim, 1)
        self.fuse = conv_bn_relu(2 * channels, channels)
        self.scale = 1.0 / math.sqrt(attention_dim)

    def weights(self, feat_a: torch.Tensor, feat_b: torch.Tensor) -> torch.Tensor:
        """The attention of each position of A over B: [n, hA*wA, hB*wB], rows summing to 1, each
        grid flattened row-major (index y*w + x). The app draws a row of it (models/export.py)."""
        q = self.query(feat_a).flatten(2).transpose(1, 2)  # n, hwA, d
        k = self.key(feat_b).flatten(2)  # n, d, hwB
        return torch.softmax(torch.matmul(q, k) * self.scale, dim=-1)

    def forward(self, feat_a: torch.Tensor, feat_b: torch.Tensor) -> torch.Tensor:
        n, c, h, w = feat_a.shape
        attention = self.weights(feat_a, feat_b)  # n, hwA, hwB
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
        # The neck: a pretrained encoder's deepest level projected to the configured width.
        self.neck = None
        # ResNet50's projections of its stride 4-16 levels, and its new stride-32 level (outside
        # `encoder`, which holds only ImageNet weights: frozen statistics, the encoder's learning rate).
        self.projections = None
        self.deepest = None
        if config.encoder == "mobilenetv2":
            self.encoder = mobilenetv2_levels()
            deepest = PRETRAINED_WIDTHS[config.encoder][-1]
            if w[-1] != deepest:
                self.neck = conv_bn_relu(deepest, w[-1], k=1)
        elif config.encoder == "resnet50v2":
            self.encoder = resnet50v2_levels()
            native = PRETRAINED_WIDTHS[config.encoder]
            self.projections = nn.ModuleList(
                conv_bn_relu(n, c, k=1) if n != c else nn.Identity() for n, c in zip(native[1:-1], w[1:-1]))
            self.deepest = EncoderLevel(native[-2], w[-1])
        else:
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
        if config.batchnorm_eps != 1e-5:
            for m in self.modules():
                if isinstance(m, nn.BatchNorm2d):
                    m.eps = config.batchnorm_eps

    @property
    def pretrained_encoder(self) -> bool:
        return self.config.encoder != "plain"

    def load_pretrained(self, root: str = PRETRAINED_ROOT) -> int:
        """Initialise the encoder from ImageNet; returns the number of tensors loaded."""
        if self.config.encoder == "mobilenetv2":
            return load_mobilenetv2_imagenet(self.encoder, root)
        if self.config.encoder == "resnet50v2":
            return load_resnet50v2_imagenet(self.encoder, root)
        raise ValueError(f"the {self.config.encoder} encoder has no pretrained weights")

    def train(self, mode: bool = True):
        """A pretrained encoder keeps its ImageNet BatchNorm statistics (eval mode) while training:
        batches of four small crops would drag them away from what the weights were trained with."""
        super().train(mode)
        if self.pretrained_encoder:
            for m in self.encoder.modules():
                if isinstance(m, nn.BatchNorm2d):
                    m.eval()
        return self

    def encode(self, x: torch.Tensor) -> list[torch.Tensor]:
        x = (x - self.mean) / self.std
        feats = []
        for level in self.encoder:
            x = level(x)
            feats.append(x)
        if self.deepest is not None:
            feats.append(self.deepest(x))
        if self.projections is not None:
            feats[1:-1] = [project(f) for project, f in zip(self.projections, feats[1:-1])]
        if self.neck is not None:
            feats[-1] = self.neck(feats[-1])
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
