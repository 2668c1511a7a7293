/// The dashboard's JSON API as an OpenAPI 3.1 document, served at /openapi.json.
enum OpenAPIDocument {
    static let json = #"""
    {
      "openapi": "3.1.0",
      "info": {"title": "tokenmeter dashboard API", "version": "1", "description": "Read-only access to the runs kept in the tokenmeter run store."},
      "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "description": "Required when the dashboard is bound beyond loopback."}},
        "schemas": {
          "RunSummary": {
            "type": "object",
            "required": ["id", "created_at", "status", "model", "target", "gpus", "points"],
            "properties": {
              "id": {"type": "string", "pattern": "^[A-Za-z0-9-]+$"},
              "created_at": {"type": "string", "format": "date-time"},
              "status": {"type": "string", "enum": ["running", "complete", "partial"]},
              "model": {"type": "string"},
              "target": {"type": "string"},
              "hardware": {"type": ["string", "null"]},
              "engine": {"type": ["string", "null"]},
              "engine_version": {"type": ["string", "null"]},
              "gpus": {"type": "integer"},
              "points": {"type": "integer"},
              "label": {"type": ["string", "null"]}
            }
          },
          "RunResult": {"type": "object", "description": "A tokenmeter result (schema tokenmeter.result/v1): provenance, config and every point with its metrics; see docs/metrics.md."}
        }
      },
      "security": [{}, {"bearer": []}],
      "paths": {
        "/api/runs": {
          "get": {
            "summary": "Every stored run, newest first",
            "responses": {
              "200": {"description": "Runs", "content": {"application/json": {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/RunSummary"}}}}},
              "401": {"description": "Missing or wrong bearer token"}
            }
          }
        },
        "/api/runs/{id}": {
          "get": {
            "summary": "One run, as its result JSON, a CSV row per point, InferenceX aggregate records, or llm-d Benchmark Reports v0.2 (one per point; several as a YAML stream)",
            "parameters": [
              {"name": "id", "in": "path", "required": true, "description": "Run id or a unique prefix", "schema": {"type": "string", "pattern": "^[A-Za-z0-9-]+$"}},
              {"name": "format", "in": "query", "required": false, "schema": {"type": "string", "enum": ["json", "csv", "inferencex", "llmd"], "default": "json"}}
            ],
            "responses": {
              "200": {"description": "The run", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/RunResult"}}, "text/csv": {"schema": {"type": "string"}}, "application/yaml": {"schema": {"type": "string"}}}},
              "400": {"description": "Invalid id or format"},
              "401": {"description": "Missing or wrong bearer token"},
              "404": {"description": "No such run, or an ambiguous prefix"}
            }
          }
        }
      }
    }
    """#
}
