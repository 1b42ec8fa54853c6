"""A reply "only visible to you" says once what the channel already shows.

A command's posts reach its channel before its reply does (``routes.Workspace._settled``);
the reply then leaves out the sentences and the card that those posts already show, so the
person reads each thing once. What is left is the reply's own news (a hint, a next step); if
nothing is, a short line points up to the post.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

POSTED = "Done: it is posted above, in this channel."
# A sentence and the space after it: the reply is cut only between sentences.
SENTENCES = re.compile(r"(?<=[.!?])(\s+)")


def _flat(text: str) -> str:
    return " ".join(text.split())


def _card_key(card: Any) -> str:
    return json.dumps(card, sort_keys=True, ensure_ascii=False)


def said_once(answer: dict[str, Any], posted: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    """``answer`` (the page's reply) without what ``posted`` (the (text, card) of each message
    the command put in this channel) already shows. Refusals and forms are left whole."""
    posts = list(posted)
    if not posts or answer.get("ok") is False or answer.get("form"):
        return answer
    texts = [_flat(text) for text, _ in posts if text]
    cards = {_card_key(card) for _, card in posts if card}
    out = dict(answer)
    dropped = False
    if out.get("card") is not None and _card_key(out["card"]) in cards:
        out["card"] = None
        dropped = True
    text = str(out.get("text") or "")
    parts = SENTENCES.split(text.strip())
    # parts alternate: sentence, the space after it, sentence, ...
    kept: list[str] = []
    for i in range(0, len(parts), 2):
        sentence = parts[i]
        if sentence and any(_flat(sentence) in t for t in texts):
            dropped = True
            continue
        kept.append(sentence + (parts[i + 1] if i + 1 < len(parts) else ""))
    if not dropped:
        return answer
    rest = "".join(kept).strip()
    out["text"] = rest or ("" if out.get("card") else POSTED)
    if out.get("summary") is not None and not out.get("card"):
        out["summary"] = None
    return out
