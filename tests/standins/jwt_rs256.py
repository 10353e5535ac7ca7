"""RS256 JSON Web Tokens for the stand-ins: the Entra stand-in signs access
tokens and federated assertions with them; the STS and Log Analytics
stand-ins verify them as the real services verify Entra's tokens (RFC 7515
compact form, RFC 7517 key sets, RFC 7519 claims). Uses the `cryptography`
package that moto already brings into the machine's Python."""

import base64
import json
import time
import uuid

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64url(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _int_b64(value):
    return b64url(value.to_bytes((value.bit_length() + 7) // 8, "big"))


class SigningKey:
    """An RSA key pair with a key id, as an identity provider publishes it."""

    def __init__(self):
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = uuid.uuid4().hex

    def jwk(self):
        numbers = self.key.public_key().public_numbers()
        return {"kty": "RSA", "use": "sig", "alg": "RS256", "kid": self.kid,
                "n": _int_b64(numbers.n), "e": _int_b64(numbers.e)}

    def sign(self, claims):
        header = {"alg": "RS256", "typ": "JWT", "kid": self.kid}
        signing_input = (b64url(json.dumps(header, separators=(",", ":")).encode()) + "." +
                         b64url(json.dumps(claims, separators=(",", ":")).encode()))
        signature = self.key.sign(signing_input.encode("ascii"), padding.PKCS1v15(),
                                  hashes.SHA256())
        return signing_input + "." + b64url(signature)


class TokenError(Exception):
    """Why a token was refused, as one line without the token itself."""


def _public_key(jwk):
    n = int.from_bytes(unb64url(jwk["n"]), "big")
    e = int.from_bytes(unb64url(jwk["e"]), "big")
    return rsa.RSAPublicNumbers(e, n).public_key()


def verify(token, jwks, issuer, audiences, now=None, leeway=0):
    """The claims of `token` if its RS256 signature verifies against a key
    of `jwks` ({"keys": [...]}) and it was issued by `issuer` for one of
    `audiences`, and is within nbf/exp; else raises TokenError."""
    now = time.time() if now is None else now
    parts = token.split(".")
    if len(parts) != 3:
        raise TokenError("not a compact JWT")
    try:
        header = json.loads(unb64url(parts[0]))
        claims = json.loads(unb64url(parts[1]))
        signature = unb64url(parts[2])
    except (ValueError, UnicodeDecodeError):
        raise TokenError("malformed JWT")
    if header.get("alg") != "RS256":
        raise TokenError("unsupported alg %r" % header.get("alg"))
    keys = [k for k in jwks.get("keys", []) if k.get("kid") == header.get("kid")]
    if not keys:
        raise TokenError("unknown signing key")
    try:
        _public_key(keys[0]).verify(signature, (parts[0] + "." + parts[1]).encode("ascii"),
                                    padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        raise TokenError("bad signature")
    if claims.get("iss") != issuer:
        raise TokenError("wrong issuer %r" % claims.get("iss"))
    aud = claims.get("aud")
    if aud not in audiences:
        raise TokenError("wrong audience %r" % aud)
    if not isinstance(claims.get("exp"), (int, float)) or now > claims["exp"] + leeway:
        raise TokenError("token expired")
    if isinstance(claims.get("nbf"), (int, float)) and now + leeway < claims["nbf"]:
        raise TokenError("token not yet valid")
    return claims
