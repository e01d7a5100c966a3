#!/usr/bin/env bash
# npm run test:image: builds deploy/docker/Dockerfile, unchanged, and runs the image.
# No Docker engine or registry is reachable on CI's machine, so: buildah (chroot isolation, no
# pulls) builds it against a local stand-in for the official Node base image
# (node-base-image.sh), with a local model folder for the model stage instead of the Hub;
# podman runs it (image-smoke.ts). Needs root and Debian's buildah, podman, runc, debootstrap
# (.ci/run installs them).
#   IMAGE_MODEL=bundled (default): the bundled small model, quick.
#   IMAGE_MODEL=base: a generated base-size DistilBERT (generated/distilbert-base), the real
#   production model's size, for measuring the image.
#   IMAGE_MODEL=convert: a generated tiny model with model.safetensors and no graph, so the
#   model stage converts it with `sentiment-api convert`, as it does a Hub pull.
set -euo pipefail
cd "$(dirname "$0")/../.."
for tool in buildah podman runc debootstrap; do
  command -v "$tool" >/dev/null || { echo "test:image needs $tool (apt-get install buildah podman runc debootstrap uidmap)" >&2; exit 1; }
done

image=localhost/sentiment-api:test
case "${IMAGE_MODEL:-bundled}" in
  bundled)
    model_source=models/sst2-tiny-distilbert model_id=sentiment-api/sst2-tiny-distilbert smoke_args=(--seed-scores) ;;
  base)
    model_source=generated/distilbert-base model_id=generated/distilbert-base smoke_args=()
    [ -f "$model_source/onnx/model.onnx" ] ||
      npm run --silent generate:model -- --preset base --out "$model_source" ;;
  convert)
    # A tiny generated model with weights only: the model stage must convert it to ONNX.
    model_source=generated/image-convert model_id=generated/tiny-safetensors smoke_args=()
    rm -rf "$model_source"
    npm run --silent generate:model -- --preset tiny --out "$model_source"
    rm -rf "$model_source/onnx" ;;
  *) echo "IMAGE_MODEL must be bundled, base or convert" >&2; exit 2 ;;
esac
revision="git-$(git rev-parse --short=12 HEAD)"

started=$SECONDS
bash test/deploy/node-base-image.sh
base_seconds=$((SECONDS - started))

echo "--- buildah build deploy/docker/Dockerfile (model: $model_source)"
started=$SECONDS
buildah build --isolation=chroot --pull=never --format docker --layers \
  -f deploy/docker/Dockerfile \
  --build-context "model-source=$model_source" \
  --build-arg "MODEL_ID=$model_id" \
  --build-arg "MODEL_REVISION=$revision" \
  --build-arg "VCS_REF=$(git rev-parse HEAD)" \
  -t "$image" . >/tmp/sentiment-api-image-build.log 2>&1 || {
  grep -v '^npm warn' /tmp/sentiment-api-image-build.log | tail -n 40 >&2
  exit 1
}
build_seconds=$((SECONDS - started))
size=$(podman image inspect --format '{{.Size}}' "$image")
base_size=$(podman image inspect --format '{{.Size}}' "$(sed -n 's/^ARG NODE_IMAGE=//p' deploy/docker/Dockerfile)")
echo "image $image: $(numfmt --to=iec "$size") ($(numfmt --to=iec $((size - base_size))) above the Node base image); stand-in base ${base_seconds} s, build ${build_seconds} s"

echo "--- run the image (podman, read-only root filesystem, non-root)"
started=$SECONDS
npx tsx test/deploy/image-smoke.ts "$image" "/models/$model_id@$revision" "${smoke_args[@]}"
echo "smoke run $((SECONDS - started)) s"
