#!/usr/bin/env python3
"""Export a feature-extraction backbone as TorchScript for anomaly-sdk.

anomaly-sdk runs backbones with DJL's PyTorch engine (libtorch). Pretrained weights are not bundled: you
export them once with your own PyTorch installation, then point the SDK at the file:

    python tools/export_backbone.py --model wide_resnet50_2 --layers layer2 layer3 --out wrn50.pt
    ad fit --backbone wrn50.pt ...

The exported module's ``forward(x)`` takes a float32 NCHW batch, already normalized with the mean/std
recorded in the sidecar, and returns a *tuple* of the requested layer outputs (NCHW), shallow to deep.
Computation stops after the deepest requested layer. The module is traced in eval mode (batch-norm
uses its running statistics, dropout is off).

Next to ``--out`` the script writes ``<out>.json`` (the sidecar), which the SDK reads:

    format, format_version      "anomaly-sdk-backbone", 1
    architecture                e.g. "wide_resnet50_2", "timm:vit_small_patch14_dinov2.lvd142m"
    layers, channels, strides   one entry per output, shallow to deep (strides measured at --image-size)
    pretrained, weights         whether trained weights were loaded, and which (e.g. "IMAGENET1K_V1")
    mean, std                   the input normalization the weights expect
    image_size                  the square input size used for tracing and stride measurement
    torch_version, torchvision_version, timm_version
    optimized, channels_aligned whether the module was frozen/channels-last, and its convolutions aligned
    sha256                      of the TorchScript file, checked by the SDK when it loads the pair

Models
  --model NAME          a torchvision classification model (resnet18, resnet50, wide_resnet50_2, ...).
                        --layers names torchvision modules (layer1 .. layer4 for ResNets); any node name
                        accepted by torchvision.models.feature_extraction works.
  --model timm:NAME     a timm model (needs ``pip install timm``), e.g. timm:resnet18,
                        timm:vit_small_patch14_dinov2.lvd142m, timm:vit_base_patch16_clip_224.openai.
                        --layers are integer indices: feature stages for CNNs (features_only), transformer
                        blocks for ViTs, whose patch tokens are returned as an NCHW grid (prefix/class
                        tokens dropped) via timm's forward_intermediates.
  --tiny                a small torchvision-style ResNet built here (widths 8-16-32-64, one BasicBlock per
                        stage, about 75k parameters) for test fixtures; always randomly initialized.
  --tiny-vgg            a VGG-16 feature stack with torchvision's layout and module names (features.0 ..
                        features.30) but widths 4-8-16-32-32 (about 60k parameters), for MKD test fixtures;
                        always randomly initialized. For MKD's blocks 2-5 use
                        --layers features.9 features.16 features.23 features.30.
  --tiny-vit            a small ViT built here (patch 14, width 32, 2 pre-norm blocks, final LayerNorm) for
                        AnomalyDINO test fixtures; --layers must be the single name "tokens". Scripted (not
                        traced), so it accepts any input whose sides are multiples of 14; returns the patch
                        tokens as an NCHW grid. Always randomly initialized.

VGG-16 for MKD (the max-pooled outputs of blocks 2-5, the layers MKD's loss compares):

    python tools/export_backbone.py --model vgg16 --layers features.9 features.16 features.23 features.30 \
        --image-size 128 --out vgg16.pt

DINOv2 for AnomalyDINO (patch tokens of the last block, after the final norm, as DINOv2's
get_intermediate_layers returns them):

    python tools/export_backbone.py --model timm:vit_small_patch14_dinov2.lvd142m --layers 11 --vit-norm \
        --image-size 448 --out dinov2_vits14.pt

  timm's ViTs are traced at --image-size: the position-embedding resampling may be fixed to that grid, so
  export at the network input size the detector will use (448 x 448 for square images).
  --vit-norm            apply the ViT's final norm to the returned tokens (timm: forward_intermediates(norm=True))

Options
  --random-init         do not load pretrained weights (for fixtures and tests); the sidecar then says
                        pretrained=false and the SDK warns that features are near-useless.
  --weights TAG         torchvision weights enum name (default: the model's DEFAULT weights).
  --seed N              torch.manual_seed before building the model (random init is reproducible).
  --image-size S        square input side used for tracing and stride measurement (default 224).
  --expected-dir DIR    also save a fixed random input (seed N+1, batch 2) and the module's outputs there
                        as float32 .npy (input.npy, expected_<layer>.npy), for parity tests.
  --no-align            keep every convolution as it is. By default a convolution whose output channels (or
                        input channels, above 4) are not a multiple of 16 zero-pads its weight at run time
                        and drops the extra outputs: same values, but libtorch 2.7.1's oneDNN computes
                        convolutions with partly filled 16-channel blocks wrongly on some CPUs (wrong or NaN
                        input gradients, wrong outputs; docs/platforms.md). Standard ResNets and VGGs have no
                        such layer; EfficientNets and reduced-width fixtures do.
  --no-optimize         export the module as traced. By default the traced module is frozen
                        (torch.jit.freeze: weights become constants, batch norms fold into the convolutions)
                        and, for convolutional models, runs in channels-last memory order inside (the input
                        is converted on entry, the outputs are returned contiguous NCHW): the order oneDNN's
                        CPU convolutions use without reordering. Outputs equal the plain module's to float
                        rounding (checked after export); on CPU the forward pass is faster (docs/kernels.md).

Requires PyTorch (TorchScript; tested with 1.13, loads in libtorch 2.7.1) and torchvision; NumPy only for
--expected-dir.
"""

import argparse
import hashlib
import json
import os
import sys

import torch
from torch import nn
import torch.nn.functional as F

FORMAT = "anomaly-sdk-backbone"
FORMAT_VERSION = 1
IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]


class _TinyBasicBlock(nn.Module):
    """torchvision's BasicBlock layout: conv3x3-bn-relu-conv3x3-bn, + shortcut, relu."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


class TinyResNet(nn.Module):
    """A torchvision-style ResNet with reduced widths, same module names (conv1, bn1, layer1..layer4)."""

    def __init__(self, widths=(8, 16, 32, 64)):
        super().__init__()
        self.conv1 = nn.Conv2d(3, widths[0], 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0])
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        cin = widths[0]
        for i, w in enumerate(widths):
            setattr(self, "layer%d" % (i + 1), nn.Sequential(_TinyBasicBlock(cin, w, 1 if i == 0 else 2)))
            cin = w
        # Same initialization as torchvision's ResNet.
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        return self.layer4(self.layer3(self.layer2(self.layer1(x))))


class TinyVgg(nn.Module):
    """torchvision's VGG-16 feature stack (13 conv3x3+ReLU, 5 max-pools; same indices in ``features``) with
    widths divided by 16."""

    def __init__(self, widths=(4, 8, 16, 32, 32)):
        super().__init__()
        layers, cin = [], 3
        for w, n in zip(widths, (2, 2, 3, 3, 3)):
            for _ in range(n):
                layers += [nn.Conv2d(cin, w, 3, padding=1), nn.ReLU(inplace=True)]
                cin = w
            layers.append(nn.MaxPool2d(2, 2))
        self.features = nn.Sequential(*layers)

    def forward(self, x):
        return self.features(x)


class _TinyVitBlock(nn.Module):
    """Pre-norm transformer block (attention + MLP), written with plain ops so TorchScript stays portable."""

    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.fc1 = nn.Linear(dim, 2 * dim)
        self.fc2 = nn.Linear(2 * dim, dim)

    def forward(self, x):
        b, t, c = x.shape
        h = self.heads
        qkv = self.qkv(self.norm1(x)).reshape(b, t, 3, h, c // h).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        attn = torch.softmax(torch.matmul(q, k.transpose(-2, -1)) * (float(c // h) ** -0.5), dim=-1)
        y = torch.matmul(attn, v).transpose(1, 2).reshape(b, t, c)
        x = x + self.proj(y)
        return x + self.fc2(torch.nn.functional.gelu(self.fc1(self.norm2(x))))


class TinyVit(nn.Module):
    """A DINOv2-shaped ViT in miniature: patch 14 conv embedding, class token, learned position embedding
    (a 4x4 grid, bilinearly resized to the input's grid), pre-norm blocks, final LayerNorm; returns the patch
    tokens (class token dropped) as an NCHW grid."""

    def __init__(self, dim=32, depth=2, heads=2, patch=14):
        super().__init__()
        self.patch = patch
        self.patch_embed = nn.Conv2d(3, dim, patch, patch)
        self.cls_token = nn.Parameter(torch.randn(1, 1, dim) * 0.02)
        self.pos_embed = nn.Parameter(torch.randn(1, dim, 4, 4) * 0.02)
        self.blocks = nn.ModuleList([_TinyVitBlock(dim, heads) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim, eps=1e-6)

    def forward(self, x):
        g = self.patch_embed(x)
        n, c, gh, gw = g.shape
        pos = torch.nn.functional.interpolate(self.pos_embed, size=[gh, gw], mode="bilinear", align_corners=False)
        tokens = (g + pos).flatten(2).transpose(1, 2)
        tokens = torch.cat([self.cls_token.expand(n, -1, -1), tokens], dim=1)
        for blk in self.blocks:
            tokens = blk(tokens)
        tokens = self.norm(tokens)[:, 1:, :]
        return (tokens.transpose(1, 2).reshape(n, c, gh, gw),)


class TupleOutputs(nn.Module):
    """Runs a feature extractor that returns a dict and returns its values as a tuple, in layer order."""

    def __init__(self, extractor, keys):
        super().__init__()
        self.extractor = extractor
        self.keys = list(keys)

    def forward(self, x):
        out = self.extractor(x)
        return tuple(out[k] for k in self.keys)


class AlignedConv2d(nn.Module):
    """A Conv2d whose weight is zero-padded at run time to channel counts that fill oneDNN's 16-channel blocks
    (output channels always, input channels above 4), with the extra outputs sliced off: the same values, but
    libtorch 2.7's oneDNN computes convolutions with partly filled blocks wrongly on some CPUs (see the SDK's
    docs/platforms.md). The wrapped convolution keeps its parameters and their shapes."""

    BLOCK = 16

    def __init__(self, conv):
        super().__init__()
        self.conv = conv
        self.pad_out = -conv.out_channels % self.BLOCK
        self.pad_in = -conv.in_channels % self.BLOCK if conv.in_channels > 4 else 0

    def forward(self, x):
        c = self.conv
        if self.pad_in:
            x = F.pad(x, [0, 0, 0, 0, 0, self.pad_in])
        w = F.pad(c.weight, [0, 0, 0, 0, 0, self.pad_in, 0, self.pad_out])
        b = None if c.bias is None else F.pad(c.bias, [0, self.pad_out])
        if c.padding_mode != "zeros":
            raise ValueError("only zero-padded convolutions are aligned; use --no-align")
        y = F.conv2d(x, w, b, c.stride, c.padding, c.dilation, c.groups)
        return y[:, :c.out_channels] if self.pad_out else y


def align_channels(module):
    """Replaces, in place, every ungrouped Conv2d whose channel counts do not fill oneDNN's blocks."""
    for name, child in module.named_children():
        if isinstance(child, nn.Conv2d) and child.groups == 1 and (
                child.out_channels % AlignedConv2d.BLOCK or (child.in_channels > 4
                                                             and child.in_channels % AlignedConv2d.BLOCK)):
            setattr(module, name, AlignedConv2d(child))
        else:
            align_channels(child)
    return module


class ChannelsLast(nn.Module):
    """Runs a convolutional extractor in channels-last memory order and returns contiguous NCHW outputs."""

    def __init__(self, inner):
        super().__init__()
        self.inner = inner.to(memory_format=torch.channels_last)

    def forward(self, x):
        outs = self.inner(x.contiguous(memory_format=torch.channels_last))
        return tuple(o.contiguous() for o in outs)


class TimmIntermediates(nn.Module):
    """Wraps a timm model exposing forward_intermediates (ViTs and most CNNs in timm >= 1.0)."""

    def __init__(self, model, indices, norm=False):
        super().__init__()
        self.model = model
        self.indices = list(indices)
        self.norm = norm

    def forward(self, x):
        # prune_intermediate_layers (called at build time) already removed the blocks after the deepest
        # requested index, so this stops early.
        if self.norm:
            feats = self.model.forward_intermediates(
                x, indices=self.indices, norm=True, intermediates_only=True, output_fmt="NCHW")
        else:
            feats = self.model.forward_intermediates(
                x, indices=self.indices, intermediates_only=True, output_fmt="NCHW")
        return tuple(feats)


class TimmFeatures(nn.Module):
    """Wraps a timm features_only model, which returns a list of stage outputs."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        return tuple(self.model(x))


def build_torchvision(name, layers, random_init, weights_tag):
    import torchvision
    from torchvision.models.feature_extraction import create_feature_extractor

    weights = None
    if not random_init:
        enum = torchvision.models.get_model_weights(name)
        weights = enum[weights_tag] if weights_tag else enum.DEFAULT
    model = torchvision.models.get_model(name, weights=weights)
    model.eval()
    mean, std = IMAGENET_MEAN, IMAGENET_STD
    if weights is not None:
        tf = weights.transforms()
        mean, std = list(getattr(tf, "mean", mean)), list(getattr(tf, "std", std))
    # create_feature_extractor keeps only the graph nodes the requested outputs depend on, so the
    # exported module stops after the deepest layer.
    extractor = create_feature_extractor(model, return_nodes={l: l for l in layers})
    tag = None if weights is None else "%s.%s" % (type(weights).__name__, weights.name)
    return TupleOutputs(extractor, layers), name, tag, mean, std


def build_timm(name, layers, random_init, vit_norm=False):
    import timm

    indices = [int(l) for l in layers]
    model = timm.create_model(name, pretrained=not random_init)
    cfg = model.pretrained_cfg if hasattr(model, "pretrained_cfg") else {}
    mean = list(cfg.get("mean", IMAGENET_MEAN))
    std = list(cfg.get("std", IMAGENET_STD))
    if hasattr(model, "forward_intermediates"):
        wrapped = TimmIntermediates(model, indices, vit_norm)
        try:
            model.prune_intermediate_layers(indices, prune_head=True, prune_norm=False)
        except (AttributeError, TypeError):
            pass
    else:
        model = timm.create_model(name, pretrained=not random_init, features_only=True, out_indices=indices)
        wrapped = TimmFeatures(model)
    tag = None if random_init else cfg.get("tag") or cfg.get("hf_hub_id") or "timm-default"
    return wrapped, "timm:" + name, tag, mean, std


def sha256_of(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", help="torchvision model name, or timm:<name>")
    p.add_argument("--tiny", action="store_true", help="tiny torchvision-style ResNet for test fixtures")
    p.add_argument("--tiny-vgg", action="store_true", help="tiny VGG-16 layout for MKD test fixtures")
    p.add_argument("--tiny-vit", action="store_true", help="tiny ViT (patch 14) for test fixtures")
    p.add_argument("--vit-norm", action="store_true", help="timm ViTs: apply the final norm to the tokens")
    p.add_argument("--layers", nargs="+", required=True, help="layers to return, shallow to deep")
    p.add_argument("--out", required=True, help="output TorchScript file (.pt); sidecar goes to <out>.json")
    p.add_argument("--image-size", type=int, default=224)
    p.add_argument("--random-init", action="store_true", help="do not load pretrained weights")
    p.add_argument("--weights", default=None, help="torchvision weights enum name (default: DEFAULT)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--expected-dir", default=None, help="save a fixed input and its outputs as .npy")
    p.add_argument("--no-align", action="store_true",
                   help="keep convolutions whose channel counts are not multiples of 16 as they are")
    p.add_argument("--no-optimize", action="store_true",
                   help="do not freeze the module nor switch convolutional models to channels-last order")
    args = p.parse_args(argv)

    if [bool(args.model), args.tiny, args.tiny_vgg, args.tiny_vit].count(True) != 1:
        p.error("give exactly one of --model, --tiny, --tiny-vgg or --tiny-vit")
    torch.manual_seed(args.seed)
    if args.tiny or args.tiny_vgg:
        base = TinyResNet() if args.tiny else TinyVgg()
        from torchvision.models.feature_extraction import create_feature_extractor
        wrapped = TupleOutputs(create_feature_extractor(base, return_nodes={l: l for l in args.layers}),
                               args.layers)
        arch = "tiny_resnet" if args.tiny else "tiny_vgg16"
        tag, mean, std, pretrained = None, IMAGENET_MEAN, IMAGENET_STD, False
    elif args.tiny_vit:
        if args.layers != ["tokens"]:
            p.error("--tiny-vit returns one output; use --layers tokens")
        wrapped = TinyVit()
        arch, tag, mean, std, pretrained = "tiny_vit", None, IMAGENET_MEAN, IMAGENET_STD, False
    elif args.model.startswith("timm:"):
        wrapped, arch, tag, mean, std = build_timm(args.model[5:], args.layers, args.random_init, args.vit_norm)
        pretrained = not args.random_init
    else:
        wrapped, arch, tag, mean, std = build_torchvision(args.model, args.layers, args.random_init,
                                                          args.weights)
        pretrained = not args.random_init
    wrapped.eval()
    aligned = not args.no_align
    if aligned:
        align_channels(wrapped)

    example = torch.zeros(1, 3, args.image_size, args.image_size)
    token_model = args.tiny_vit or isinstance(wrapped, TimmIntermediates)
    with torch.no_grad():
        if args.tiny_vit:
            traced = torch.jit.script(wrapped)
        else:
            traced = torch.jit.trace(wrapped, example, check_trace=False)
        if not args.no_optimize:
            plain = traced
            if not token_model:
                traced = torch.jit.trace(ChannelsLast(wrapped).eval(), example, check_trace=False)
            traced = torch.jit.freeze(traced.eval())
            check = torch.randn(2, 3, args.image_size, args.image_size, generator=torch.Generator().manual_seed(7))
            for a, b in zip(plain(check), traced(check)):
                scale = float(a.abs().max()) or 1.0
                if float((a - b).abs().max()) > 1e-3 * scale:
                    sys.exit("the optimized module's outputs differ from the plain one's; use --no-optimize")
        outs = traced(example)
    if isinstance(outs, torch.Tensor):
        outs = (outs,)
    channels, strides = [], []
    for o in outs:
        if o.dim() != 4:
            sys.exit("layer output is not NCHW: shape %s" % (tuple(o.shape),))
        channels.append(int(o.shape[1]))
        strides.append(int(round(args.image_size / o.shape[2])))

    out_dir = os.path.dirname(os.path.abspath(args.out))
    os.makedirs(out_dir, exist_ok=True)
    traced.save(args.out)
    try:
        import torchvision
        tv_version = torchvision.__version__
    except ImportError:
        tv_version = None
    try:
        import timm
        timm_version = timm.__version__
    except ImportError:
        timm_version = None
    sidecar = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "architecture": arch,
        "layers": list(args.layers),
        "channels": channels,
        "strides": strides,
        "pretrained": bool(pretrained),
        "weights": tag,
        "seed": args.seed if not pretrained else None,
        "mean": [float(v) for v in mean],
        "std": [float(v) for v in std],
        "image_size": args.image_size,
        "optimized": not args.no_optimize,
        "channels_aligned": aligned,
        "torch_version": torch.__version__,
        "torchvision_version": tv_version,
        "timm_version": timm_version,
        "sha256": sha256_of(args.out),
    }
    with open(args.out + ".json", "w") as f:
        json.dump(sidecar, f, indent=2)
        f.write("\n")
    print("wrote %s and %s.json: layers %s, channels %s, strides %s, pretrained=%s"
          % (args.out, args.out, args.layers, channels, strides, pretrained))

    if args.expected_dir:
        import numpy as np
        os.makedirs(args.expected_dir, exist_ok=True)
        g = torch.Generator().manual_seed(args.seed + 1)
        x = torch.randn(2, 3, args.image_size, args.image_size, generator=g)
        loaded = torch.jit.load(args.out)
        with torch.no_grad():
            ys = loaded(x)
        np.save(os.path.join(args.expected_dir, "input.npy"), x.numpy().astype(np.float32))
        for name, y in zip(args.layers, ys):
            np.save(os.path.join(args.expected_dir, "expected_%s.npy" % name), y.numpy().astype(np.float32))
        print("wrote input.npy and expected_*.npy to %s" % args.expected_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
