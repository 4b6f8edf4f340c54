"""Validates a bill of materials written by `scelle export` with the official tools, offline.

    validate_sbom.py cyclonedx 1.6|1.7 FILE
    validate_sbom.py spdx FILE

CycloneDX: the official JSON schema of that version (tests/schemas/cyclonedx, with the schemas it
references registered under their `$id`), then cyclonedx-python-lib's `JsonStrictValidator`
(its own bundled copy of the schema, run as its users run it).

SPDX 3.0.1: spdx3-validate (its JSON schema check and its SHACL check with pyshacl). As shipped it
downloads the schema, the SHACL model and the JSON-LD context from spdx.org; here every URL it
opens is answered from tests/schemas/spdx-3.0.1, and any other URL is refused, so the check
never touches the network.

Prints `valid` and exits 0, or prints every error and exits 1.
"""

import email.message
import io
import json
import pathlib
import sys
import urllib.error
import urllib.request
import urllib.response

SCHEMAS = pathlib.Path(__file__).resolve().parent.parent / "schemas"


def cyclonedx(version: str, path: str) -> list:
    import jsonschema
    import referencing
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    text = pathlib.Path(path).read_text(encoding="utf-8")
    document = json.loads(text)
    errors = []
    folder = SCHEMAS / "cyclonedx"
    resources = []
    for name in ("spdx.schema.json", "jsf-0.82.schema.json", "cryptography-defs.schema.json"):
        schema = json.loads((folder / name).read_text(encoding="utf-8"))
        resources.append((schema["$id"], referencing.Resource.from_contents(schema)))
    registry = referencing.Registry().with_resources(resources)
    schema = json.loads((folder / f"bom-{version}.schema.json").read_text(encoding="utf-8"))
    validator_cls = jsonschema.validators.validator_for(schema)
    validator = validator_cls(
        schema, registry=registry, format_checker=validator_cls.FORMAT_CHECKER
    )
    for e in sorted(validator.iter_errors(document), key=lambda e: e.json_path):
        errors.append(f"official schema {version}: {e.json_path}: {e.message[:300]}")
    strict = JsonStrictValidator(
        {"1.6": SchemaVersion.V1_6, "1.7": SchemaVersion.V1_7}[version]
    )
    found = strict.validate_str(text, all_errors=True)
    for e in found or []:
        errors.append(f"cyclonedx-python-lib {version}: {str(e)[:300]}")
    return errors


class Offline(urllib.request.BaseHandler):
    """Answers the SPDX 3.0.1 URLs from local files; refuses every other URL."""

    # Before urllib's own HTTP(S) handlers, so none of them ever opens a connection.
    handler_order = 100

    FILES = {
        "https://spdx.org/rdf/3.0.1/spdx-context.jsonld": "spdx-context.jsonld",
        "https://spdx.org/rdf/3.0.1/spdx-model.ttl": "spdx-model.ttl",
        "https://spdx.org/schema/3.0.1/spdx-json-schema.json": "schema.json",
    }
    TYPES = {
        ".jsonld": "application/ld+json",
        ".ttl": "text/turtle",
        ".json": "application/json",
    }

    def _answer(self, req):
        url = req.full_url
        name = self.FILES.get(url)
        if name is None:
            raise urllib.error.URLError(f"offline: refused to open {url}")
        path = SCHEMAS / "spdx-3.0.1" / name
        headers = email.message.Message()
        headers["Content-Type"] = self.TYPES[path.suffix]
        response = urllib.response.addinfourl(
            io.BytesIO(path.read_bytes()), headers, url, 200
        )
        response.msg = "OK"
        return response

    https_open = _answer
    http_open = _answer


def spdx(path: str) -> list:
    urllib.request.install_opener(urllib.request.build_opener(Offline))
    import spdx3_validate.core as core

    result = core.validate(path)
    return [str(e) for e in result.errors]


def main() -> int:
    if sys.argv[1:2] == ["cyclonedx"] and len(sys.argv) == 4:
        errors = cyclonedx(sys.argv[2], sys.argv[3])
    elif sys.argv[1:2] == ["spdx"] and len(sys.argv) == 3:
        errors = spdx(sys.argv[2])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    if errors:
        for e in errors:
            print(e)
        return 1
    print("valid")
    return 0


if __name__ == "__main__":
    sys.exit(main())
