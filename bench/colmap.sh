#!/usr/bin/env bash
# `coam colmap` + `colmap mapper` next to COLMAP's own SIFT pipeline (feature_extractor +
# sequential_matcher + mapper) on the same frames of one CO3D sequence; prints registered images,
# points, mean track length and mean reprojection error (colmap model_analyzer) and the time of
# each step. Needs Debian's colmap (apt-get install -y colmap). Not part of `npm test`: minutes.
#
#   bench/colmap.sh [SEQUENCE_DIR] [WORK_DIR]
#   FRAMES=30 STEP=3 OVERLAP=5 LONG_SIDE=640 COAM_ARGS='--top-k 1000' bench/colmap.sh
#
# Both pipelines get the same frames, the same sequential overlap, one shared camera
# (SIMPLE_RADIAL, COLMAP's default model) and COLMAP's default mapper options; SIFT runs at
# COLMAP's defaults (the full frames, CPU).
set -euo pipefail
cd "$(dirname "$0")/.."

SEQ=${1:-../shared/data/multiview/co3d/apple_189_20393_38136}
WORK=${2:-/tmp/coam-colmap-bench}
FRAMES=${FRAMES:-30}
STEP=${STEP:-3}
OVERLAP=${OVERLAP:-5}
LONG_SIDE=${LONG_SIDE:-640}
COAM_ARGS=${COAM_ARGS:-}
THREADS=${THREADS:-$(nproc)}

if [ ! -d "$SEQ" ]; then echo "no sequence at $SEQ (the CO3D frames live in ../shared/data/multiview/co3d); skipped"; exit 0; fi
if ! command -v colmap > /dev/null; then echo "colmap not found: apt-get install -y colmap"; exit 1; fi

rm -rf "$WORK" && mkdir -p "$WORK/images"
mapfile -t ALL < <(ls "$SEQ" | grep -iE '\.(jpe?g|png)$' | sort)
for ((i = 0; i < FRAMES && i * STEP < ${#ALL[@]}; i++)); do
  ln -s "$(realpath "$SEQ/${ALL[i * STEP]}")" "$WORK/images/${ALL[i * STEP]}"
done
N=$(ls "$WORK/images" | wc -l)
echo "$N frames of $(basename "$SEQ") (one frame in ${STEP}), sequential overlap $OVERLAP, $THREADS threads, $(colmap -h | head -1)"

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f", b - a }'; }

# The reconstruction with the most registered images, analysed: "registered points track reproj".
analyse() {
  local best="" most=-1
  for model in "$1"/*/; do
    [ -f "$model/images.bin" ] || continue
    local reg
    reg=$(colmap model_analyzer --path "$model" 2>&1 | awk -F': ' '/Registered images/ { print $2 }')
    if [ "${reg:-0}" -gt "$most" ]; then most=$reg; best=$model; fi
  done
  if [ -z "$best" ]; then echo "0 0 0 0 0"; return; fi
  colmap model_analyzer --path "$best" 2>&1 | awk -F': ' -v models="$(ls -d "$1"/*/ | wc -l)" '
    /Registered images/ { r = $2 } /^.*Points: / { p = $2 } /Mean track length/ { t = $2 }
    /Mean reprojection error/ { e = $2; sub(/px/, "", e) } END { printf "%s %s %.2f %.3f %s\n", r, p, t, e, models }'
}

mapper() { # database output log
  mkdir -p "$2"
  colmap mapper --database_path "$1" --image_path "$WORK/images" --output_path "$2" --Mapper.num_threads "$THREADS" > "$3" 2>&1
}

# CoAM
t0=$(now)
node bin/coam.mjs colmap "$WORK/images" --out "$WORK/coam.db" --sequential "$OVERLAP" --long-side "$LONG_SIDE" \
  --single-camera --threads "$THREADS" $COAM_ARGS > "$WORK/coam-match.log" 2>&1
t1=$(now)
mapper "$WORK/coam.db" "$WORK/coam-sparse" "$WORK/coam-mapper.log"
t2=$(now)
read -r C_REG C_PTS C_TRACK C_ERR C_MODELS <<< "$(analyse "$WORK/coam-sparse")"
tail -1 "$WORK/coam-match.log"

# COLMAP's SIFT
t3=$(now)
colmap feature_extractor --database_path "$WORK/sift.db" --image_path "$WORK/images" --ImageReader.single_camera 1 \
  --SiftExtraction.use_gpu 0 --SiftExtraction.num_threads "$THREADS" > "$WORK/sift-extract.log" 2>&1
colmap sequential_matcher --database_path "$WORK/sift.db" --SequentialMatching.overlap "$OVERLAP" \
  --SiftMatching.use_gpu 0 --SiftMatching.num_threads "$THREADS" > "$WORK/sift-match.log" 2>&1
t4=$(now)
mapper "$WORK/sift.db" "$WORK/sift-sparse" "$WORK/sift-mapper.log"
t5=$(now)
read -r S_REG S_PTS S_TRACK S_ERR S_MODELS <<< "$(analyse "$WORK/sift-sparse")"

{
  echo
  echo "| pipeline | registered images | points | mean track length | mean reprojection error (px) | models | matching (s) | mapper (s) |"
  echo "|---|---|---|---|---|---|---|---|"
  echo "| CoAM (\`coam colmap\`, ${LONG_SIDE} px) | $C_REG / $N | $C_PTS | $C_TRACK | $C_ERR | $C_MODELS | $(secs "$t0" "$t1") | $(secs "$t1" "$t2") |"
  echo "| COLMAP SIFT (extract + sequential_matcher) | $S_REG / $N | $S_PTS | $S_TRACK | $S_ERR | $S_MODELS | $(secs "$t3" "$t4") | $(secs "$t4" "$t5") |"
} | tee "$WORK/results.md"
