"""A chat room over WebSockets: ``uvicorn chat:app`` (in this folder), then
open http://127.0.0.1:8000/ in two browser tabs."""

from __future__ import annotations

import json

from kolba import Flask, render_template, websocket
from kolba.asgi import WebSocket

app = Flask(__name__)
#: The connected browsers (one process: a real deployment would use a
#: broker such as Redis pub/sub to reach the clients of every worker).
clients: set[WebSocket] = set()


@app.route("/")
def index() -> str:
    return render_template("index.html")


@app.websocket("/ws")
async def chat() -> None:
    name = websocket.args.get("name", "").strip()[:40] or "anonymous"
    me = websocket._get_current_object()
    await websocket.accept()
    clients.add(me)
    try:
        await broadcast("server", f"{name} joined")
        while True:
            text = await websocket.receive()
            if isinstance(text, str) and text.strip():
                await broadcast(name, text[:1000])
    finally:
        clients.discard(me)
        await broadcast("server", f"{name} left")


async def broadcast(sender: str, text: str) -> None:
    message = json.dumps({"from": sender, "text": text})
    for client in list(clients):
        try:
            await client.send(message)
        except Exception:  # that browser is gone
            clients.discard(client)
