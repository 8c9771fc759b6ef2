/**
 * Typed errors with messages a person understands. Every failure the user can cause
 * (a bad file, a bad model, a bad argument) is one of these, never a raw exception.
 */
export type CoamErrorCode =
  | 'not-an-image' // bytes are not a format we can decode
  | 'unsupported-format' // a known image format that no decoder at hand reads (HEIC, TIFF)
  | 'corrupt-image' // a known format, but truncated or damaged
  | 'empty-image' // zero width or height, or zero bytes
  | 'image-too-large' // beyond what can be decoded in memory
  | 'image-unusable' // decoded, but too small or too thin for the network to match
  | 'model-contract' // the ONNX model or sidecar breaks the model contract
  | 'model-load' // the model could not be loaded at all
  | 'inference' // the runtime failed while running the model
  | 'bad-argument' // an option out of range, a missing file
  | 'bad-data'; // an evaluation folder or ground-truth file that cannot be read

export class CoamError extends Error {
  readonly code: CoamErrorCode;
  constructor(code: CoamErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CoamError';
    this.code = code;
  }
}

export function isCoamError(e: unknown): e is CoamError {
  return e instanceof Error && (e as CoamError).name === 'CoamError' && typeof (e as CoamError).code === 'string';
}
