"""Post a file to a presigned S3 form, as a browser does: `... | python -m infra.local.upload FILE`.

Reads the API's answer (JSON with `upload.url` and `upload.fields`, as `POST /jobs/{id}/files` and
`POST /contacts/imports/uploads` give it) from standard input."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import requests


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    answer = json.load(sys.stdin)
    if "upload" not in answer:
        print(f"No upload form in the answer: {json.dumps(answer)}", file=sys.stderr)
        return 1
    path = Path(sys.argv[1])
    form = answer["upload"]
    with path.open("rb") as handle:
        response = requests.post(
            form["url"], data=form["fields"], files={"file": (path.name, handle)}, timeout=300
        )
    print(f"{response.status_code} {response.reason}{': ' + response.text if response.text else ''}")
    return 0 if response.ok else 1


if __name__ == "__main__":
    sys.exit(main())
