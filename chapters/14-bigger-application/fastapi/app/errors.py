"""Every error the service answers, in one enum, turned into a response in one place.

An operation or a dependency raises `AppException(AppError.…)` and stops there; how each error
looks on the wire (status, `detail`, headers) is decided here and nowhere else.
"""

import logging
from enum import Enum

from fastapi import FastAPI, Request
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

logger = logging.getLogger("uvicorn.error")


# ANCHOR: app_error
class AppError(Enum):
    """Why a request was refused: status, detail, and the challenge of a 401."""

    SNS_TYPE_NOT_SUPPORTED = (400, "Unsupported sns_type: only email is supported", None)
    EMAIL_ALREADY_REGISTERED = (400, "Email already registered", None)
    # Unknown address or wrong password: one answer for both.
    INCORRECT_EMAIL_OR_PASSWORD = (400, "Incorrect email or password", None)
    INVALID_TOKEN = (401, "Could not validate credentials", "Bearer")
    TOO_MANY_API_KEYS = (400, "API key limit reached: at most 3 keys per user", None)
    API_KEYS_BUSY = (409, "API keys changed during the request; try again", None)
    # No such key, or not the caller's: the two are not told apart.
    API_KEY_NOT_FOUND = (404, "API key not found", None)
    INVALID_SIGNATURE = (401, "Invalid signature", "HMAC-SHA256")
    TIMESTAMP_OUT_OF_WINDOW = (
        400,
        "Timestamp out of range: it must be within 60 seconds of the server's time",
        None,
    )
    SIGNATURE_REPLAYED = (401, "Signature already used", "HMAC-SHA256")
    # Past a limit of `limits.py`; the answer says when to try again, in `Retry-After`.
    TOO_MANY_LOGIN_ATTEMPTS = (429, "Too many login attempts", None)
    TOO_MANY_SIGN_UPS = (429, "Too many sign-ups", None)
    INVALID_HOST = (400, "Invalid host header", None)
    INTERNAL = (500, "Internal Server Error", None)

    def __init__(self, status_code: int, detail: str, challenge: str | None):
        self.status_code = status_code
        self.detail = detail
        self.challenge = challenge

    def response(self, retry_after: int | None = None) -> JSONResponse:
        headers = {"WWW-Authenticate": self.challenge} if self.challenge else {}
        if retry_after is not None:
            headers["Retry-After"] = str(retry_after)
        return JSONResponse({"detail": self.detail}, status_code=self.status_code, headers=headers)


class AppException(Exception):
    def __init__(self, error: AppError, retry_after: int | None = None):
        super().__init__(error.detail)
        self.error = error
        self.retry_after = retry_after
# ANCHOR_END: app_error


# ANCHOR: handlers
SECRET_FIELDS = {"pw", "password", "secret", "secret_key"}


def add_exception_handlers(app: FastAPI) -> None:
    @app.exception_handler(AppException)
    async def app_exception_handler(request: Request, exc: AppException):
        return exc.error.response(exc.retry_after)

    @app.exception_handler(RequestValidationError)
    async def validation_exception_handler(request: Request, exc: RequestValidationError):
        """FastAPI's own 422, without the refused value where it is a secret: Pydantic's
        errors always carry the `input`, which a log or a proxy would keep."""
        errors = [
            {k: v for k, v in error.items() if k != "input"}
            if SECRET_FIELDS.intersection(map(str, error["loc"]))
            else error
            for error in exc.errors()
        ]
        return await request_validation_exception_handler(request, RequestValidationError(errors))
# ANCHOR_END: handlers
