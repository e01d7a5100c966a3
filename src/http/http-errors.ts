import { AppError } from '../errors.js';

/** The body is not valid JSON: FastAPI answers 422 `json_invalid` with the failing position. */
export class BodyNotJson extends AppError {
  readonly position: number;
  constructor(
    readonly reason: string,
    bodyLength: number,
  ) {
    super('json_invalid', 422, 'JSON decode error');
    const match = /position (\d+)/.exec(reason);
    this.position = match ? Number(match[1]) : bodyLength;
  }
}

/** A body in a media type other than JSON. */
export class UnsupportedMediaType extends AppError {
  constructor(readonly contentType: string) {
    super(
      'unsupported_media_type',
      415,
      `Unsupported media type '${contentType}'; send application/json`,
    );
  }
}

/** A path that exists, asked with a method it does not serve. */
export class MethodNotAllowed extends AppError {
  constructor(readonly allow: readonly string[]) {
    super('method_not_allowed', 405, 'Method Not Allowed');
  }
}
