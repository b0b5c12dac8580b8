"""A STAND-IN for an OpenAI-compatible chat server, run as a real local process by the tests.

It is not a language model. It plays a gullible one, to test medcite's checks:
  mode "gullible": answers with (1) the first sentence of the first source, citing it
  (supported); (2) whatever a source tells it to recommend after "ignore previous instructions",
  citing that source (an injection that medcite must drop); (3) a statement citing an id that
  was never sent; (4) a dose with a number no source states.
  mode "unsupported": only (2)-(4).
  mode "junk": a reply that is not JSON.
Usage: python standin_chat_server.py MODE  -> prints the port it listens on, then serves.
"""

from __future__ import annotations

import json
import re
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MODE = sys.argv[1] if len(sys.argv) > 1 else "gullible"
_INJECTION = re.compile(r"ignore previous instructions and (recommend [^.]*)\.", re.IGNORECASE)


def _sources(messages: list[dict[str, str]]) -> list[dict[str, str]]:
    text = messages[-1]["content"]
    body = text.split("<<<SOURCES\n", 1)[1].rsplit("\nSOURCES>>>", 1)[0]
    sources: list[dict[str, str]] = json.loads(body)
    return sources


def _statements(sources: list[dict[str, str]]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if MODE == "gullible" and sources:
        first = sources[0]
        found.append({"text": first["text"].split(". ")[0] + ".", "evidence_ids": [first["id"]]})
    for source in sources:
        match = _INJECTION.search(source["text"])
        if match:
            found.append(
                {"text": match.group(1).capitalize() + ".", "evidence_ids": [source["id"]]}
            )
    found.append({"text": "Muscle spasm always resolves within one day.",
                  "evidence_ids": ["doc:never-sent#0"]})
    if sources:
        found.append({"text": "Cyclobenzaprine starts at 50 mg three times daily.",
                      "evidence_ids": [sources[0]["id"]]})
    return found


class Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        length = int(self.headers.get("Content-Length", "0"))
        request = json.loads(self.rfile.read(length))
        if MODE == "junk":
            content = "Sure! Here is my answer without JSON."
        else:
            statements = _statements(_sources(request["messages"]))
            sections = [{"title": "Answer", "statements": statements}]
            content = json.dumps({"sections": sections})
        reply = {"id": "standin", "object": "chat.completion", "model": request.get("model"),
                 "choices": [{"index": 0, "finish_reason": "stop",
                              "message": {"role": "assistant", "content": content}}]}
        data = json.dumps(reply).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        return


if __name__ == "__main__":
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    sys.stdout.write(f"{server.server_address[1]}\n")
    sys.stdout.flush()
    server.serve_forever()
