#!/usr/bin/env python3
"""Convert DSR's pretrained VQ model checkpoint into anomaly-sdk's VQ model directory.

DSR (Zavrtanik et al., ECCV 2022) ships its ImageNet-pretrained discrete latent model as a PyTorch state dict,
``checkpoints/vq_model_pretrained_128_4096.pckl`` (see github.com/VitjanZ/DSR_anomaly_detection). The SDK does
not run Python, so convert the file once where PyTorch is installed and copy the directory to the plant:

    python tools/convert_dsr_vq.py vq_model_pretrained_128_4096.pckl dsr-vq
    ad fit --detector dsr --set vq_model=dsr-vq ...

The directory holds ``vq.json`` (the architecture inferred from the tensor shapes) and one float32 ``.npy`` per
tensor, under the checkpoint's own names and in PyTorch's layouts; the SDK maps them onto its network (it
converts the transposed-convolution weights itself) and refuses a directory whose shapes do not match the
configured architecture.

Colour order: the official code reads images with OpenCV, i.e. in BGR order; the SDK feeds RGB. By default the
converter permutes the input channels of the first encoder convolution and the output channels of the general
decoder's last layer so that the converted model expects and produces RGB. ``--keep-bgr`` skips this.

``--random-tiny DIR`` writes a randomly initialized state dict with the official names and tiny shapes
(hidden 8, 32 codes x 16) to ``DIR/tiny.pckl`` instead, to try the converter without the real checkpoint.
"""
import argparse
import json
import os
import sys

import numpy as np
import torch

FIRST_CONV = "_encoder_b._conv_1.weight"
LAST_DECONV = "_decoder_b._conv_trans_2"


def residual_names(prefix, layers):
    return [f"{prefix}._residual_stack._layers.{i}._block.{k}.weight" for i in range(layers) for k in (1, 3)]


def expected_names(layers):
    names = []
    for conv in ("_encoder_b._conv_1", "_encoder_b._conv_2", "_encoder_b._conv_3", "_encoder_t._conv_1",
                 "_encoder_t._conv_2", "_pre_vq_conv_bot", "_pre_vq_conv_top", "_decoder_b._conv_1",
                 "_decoder_b._conv_trans_1", LAST_DECONV, "upsample_t"):
        names += [conv + ".weight", conv + ".bias"]
    for prefix in ("_encoder_b", "_encoder_t", "_decoder_b"):
        names += residual_names(prefix, layers)
    for vq in ("_vq_vae_top", "_vq_vae_bot"):
        names += [vq + "._embedding.weight", vq + "._ema_w", vq + "._ema_cluster_size"]
    return names


def architecture(state):
    layers = 0
    while f"_encoder_b._residual_stack._layers.{layers}._block.1.weight" in state:
        layers += 1
    codebook = state["_vq_vae_top._embedding.weight"]
    return {
        "hidden": int(state["_encoder_b._conv_2.weight"].shape[0]),
        "residual_hidden": int(state["_encoder_b._residual_stack._layers.0._block.1.weight"].shape[0]) if layers else 1,
        "residual_layers": layers,
        "embedding_dim": int(codebook.shape[1]),
        "codebook_size": int(codebook.shape[0]),
    }


def random_tiny(hidden=8, res_hidden=4, layers=2, dim=16, codes=32):
    """Random tensors with the official names and PyTorch layouts (conv: out,in,k,k; transposed: in,out,k,k)."""
    g = torch.Generator().manual_seed(0)
    shapes = {
        "_encoder_b._conv_1": (hidden // 2, 3, 4, 4), "_encoder_b._conv_2": (hidden, hidden // 2, 4, 4),
        "_encoder_b._conv_3": (hidden, hidden, 3, 3), "_encoder_t._conv_1": (hidden, hidden, 4, 4),
        "_encoder_t._conv_2": (hidden, hidden, 3, 3), "_pre_vq_conv_bot": (dim, hidden + dim, 1, 1),
        "_pre_vq_conv_top": (dim, hidden, 1, 1), "_decoder_b._conv_1": (hidden, 2 * dim, 3, 3),
        "_decoder_b._conv_trans_1": (hidden, hidden // 2, 4, 4), LAST_DECONV: (hidden // 2, 3, 4, 4),
        "upsample_t": (dim, dim, 4, 4),
    }
    state = {}
    for name, shape in shapes.items():
        state[name + ".weight"] = torch.randn(shape, generator=g) * 0.1
        transposed = "trans" in name or name == "upsample_t"
        state[name + ".bias"] = torch.randn(shape[1] if transposed else shape[0], generator=g) * 0.1
    for prefix in ("_encoder_b", "_encoder_t", "_decoder_b"):
        for i in range(layers):
            state[f"{prefix}._residual_stack._layers.{i}._block.1.weight"] = torch.randn(res_hidden, hidden, 3, 3, generator=g) * 0.1
            state[f"{prefix}._residual_stack._layers.{i}._block.3.weight"] = torch.randn(hidden, res_hidden, 1, 1, generator=g) * 0.1
    for vq in ("_vq_vae_top", "_vq_vae_bot"):
        state[vq + "._embedding.weight"] = torch.randn(codes, dim, generator=g)
        state[vq + "._ema_w"] = torch.randn(codes, dim, generator=g)
        state[vq + "._ema_cluster_size"] = torch.rand(codes, generator=g)
    return state


def write_npy(path, tensor):
    np.save(path, np.ascontiguousarray(tensor.detach().cpu().numpy().astype("<f4")))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("checkpoint", nargs="?", help="the official state dict (.pckl)")
    parser.add_argument("out", nargs="?", help="output directory")
    parser.add_argument("--keep-bgr", action="store_true", help="keep the checkpoint's BGR channel order")
    parser.add_argument("--random-tiny", metavar="DIR", help="write a random tiny checkpoint to DIR/tiny.pckl")
    args = parser.parse_args()
    if args.random_tiny:
        os.makedirs(args.random_tiny, exist_ok=True)
        torch.save(random_tiny(), os.path.join(args.random_tiny, "tiny.pckl"))
        return 0
    if not args.checkpoint or not args.out:
        parser.error("checkpoint and out are required")
    state = torch.load(args.checkpoint, map_location="cpu")
    if "state_dict" in state and not isinstance(state.get("state_dict"), torch.Tensor):
        state = state["state_dict"]
    arch = architecture(state)
    missing = [n for n in expected_names(arch["residual_layers"]) if n not in state]
    if missing:
        sys.exit(f"{args.checkpoint}: not a DSR DiscreteLatentModel state dict; missing {missing[:5]}")
    state = {k: v.float() for k, v in state.items() if k in set(expected_names(arch["residual_layers"]))}
    if not args.keep_bgr:
        state[FIRST_CONV] = state[FIRST_CONV].flip(1)
        state[LAST_DECONV + ".weight"] = state[LAST_DECONV + ".weight"].flip(1)
        state[LAST_DECONV + ".bias"] = state[LAST_DECONV + ".bias"].flip(0)
    os.makedirs(args.out, exist_ok=True)
    for name, tensor in state.items():
        write_npy(os.path.join(args.out, name + ".npy"), tensor)
    arch["source"] = (os.path.basename(args.checkpoint) + (", BGR" if args.keep_bgr else ", converted to RGB")
                      + ", torch " + torch.__version__)
    with open(os.path.join(args.out, "vq.json"), "w") as f:
        json.dump(arch, f, indent=2)
    print(f"wrote {len(state)} tensors and vq.json to {args.out}: {arch}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
