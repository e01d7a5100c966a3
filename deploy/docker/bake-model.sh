#!/bin/sh
# The Dockerfile's model stage: bake-model <source-dir> <out-dir>
# Takes the local folder when <source-dir> holds a model (config.json), else pulls
# MODEL_ID@MODEL_REVISION from the Hub with `sentiment-api pull`; converts it to ONNX with
# `sentiment-api convert` when the graph for MODEL_DTYPE is missing; keeps only the files the
# service reads for that dtype, so the image carries one graph and no training weights.
set -eu
source_dir=$1
out=$2
# The build arguments arrive as environment variables; the service must not read MODEL_ID
# beside the MODEL_DIR this script sets, so they are taken out of its environment.
id=$MODEL_ID
revision=$MODEL_REVISION
unset MODEL_ID MODEL_REVISION
cli="node /app/dist/src/main.js"
case "$MODEL_DTYPE" in
  fp32) graph=onnx/model.onnx packed=onnx/model_packed.onnx ;;
  int8) graph=onnx/model_quantized.onnx packed=onnx/model_quantized_packed.onnx ;;
  *) echo "bake-model: MODEL_DTYPE must be fp32 or int8, got '$MODEL_DTYPE'" >&2; exit 2 ;;
esac
if [ -z "$revision" ]; then
  echo "bake-model: set --build-arg MODEL_REVISION (the Hub commit to bake; see docs/deploy.md, 'Pinning the model')" >&2
  exit 2
fi

mkdir -p "$out"
if [ -f "$source_dir/config.json" ]; then
  echo "bake-model: local folder (build context model-source) as $id@$revision"
  cp -R "$source_dir/." "$out/"
  rm -f "$out/model-source.md"
else
  if ! echo "$revision" | grep -Eq '^[0-9a-f]{40}$'; then
    echo "bake-model: MODEL_REVISION must be a full 40-hex commit for a Hub pull, got '$revision'" >&2
    exit 2
  fi
  echo "bake-model: pulling $id@$revision from $HF_ENDPOINT"
  snapshot=$(HF_HUB_CACHE=/tmp/hub $cli pull "$id@$revision" | tail -n 1)
  # The snapshot's files are symlinks into the cache's blobs: copy what they point at.
  cp -RL "$snapshot/." "$out/"
  rm -rf /tmp/hub
fi

if [ ! -f "$out/$graph" ]; then
  if [ "$MODEL_DTYPE" = int8 ]; then $cli convert "$out" --quantize int8; else $cli convert "$out"; fi
fi
# Serving reads config.json, the tokenizer files and the graph(s) of one dtype.
rm -f "$out/model.safetensors" "$out"/*.bin "$out"/*.h5 "$out"/*.msgpack "$out"/*.ckpt*
for file in "$out"/onnx/*; do
  case "${file#"$out"/}" in "$graph" | "$packed") ;; *) rm -rf "$file" ;; esac
done
# A smoke test of what was baked, with the CLI the image will serve with.
MODEL_DIR="$out" HF_HUB_OFFLINE=1 INFERENCE_WORKERS=1 $cli predict "I love you." >/dev/null
echo "bake-model: $out"
du -sh "$out"
