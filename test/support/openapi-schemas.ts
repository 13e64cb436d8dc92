import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';

/** Any absolute URI does: it only gives the document's `#/components/...` refs a base. */
const DOCUMENT_ID = 'urn:huawei-dms-connector-status:openapi';

/** RFC 6901 escaping, then URI-fragment encoding: the route has `/`, `{` and `}`, media types `+`. */
function pointer(segments: readonly string[]): string {
  return segments
    .map((segment) => encodeURIComponent(segment.replace(/~/g, '~0').replace(/\//g, '~1')))
    .join('/');
}

/**
 * Compiles the Schema Objects of an OpenAPI 3.1 document in place, so that their refs resolve
 * against the document itself. Strict: a keyword JSON Schema 2020-12 does not know, or a format
 * nobody checks, is an error rather than silently ignored.
 */
export function openApiSchemaCompiler(document: Record<string, unknown>) {
  const ajv = new Ajv2020({ strict: true, allowUnionTypes: true, allErrors: true });
  addFormats(ajv);
  // Resolving a ref into the document compiles the document's root as a schema first; its
  // OpenAPI fields (`openapi`, `paths`, ...) become keywords that validate nothing, and strict
  // mode stays on for every Schema Object inside.
  ajv.addVocabulary(Object.keys(document));
  ajv.addSchema(document, DOCUMENT_ID);
  return {
    /** The validator of a response body; throws when the document's schema does not compile. */
    responseBody(
      route: string,
      method: string,
      status: string,
      mediaType: string,
    ): ValidateFunction {
      const path = pointer(['paths', route, method, 'responses', status, 'content', mediaType]);
      return ajv.compile({ $ref: `${DOCUMENT_ID}#/${path}/schema` });
    },
    /** The validator of a header's value, for a header declared in `components.headers`. */
    header(name: string): ValidateFunction {
      return ajv.compile({
        $ref: `${DOCUMENT_ID}#/${pointer(['components', 'headers', name, 'schema'])}`,
      });
    },
  };
}
