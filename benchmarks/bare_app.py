"""The ceiling: a bare FastAPI endpoint served by the same uvicorn settings as the memory API."""

from fastapi import FastAPI

app = FastAPI()


@app.get("/bare")
async def bare() -> dict[str, bool]:
    return {"ok": True}
