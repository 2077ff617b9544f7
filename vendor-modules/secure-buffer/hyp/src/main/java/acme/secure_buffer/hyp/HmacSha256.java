package acme.secure_buffer.hyp;

/** HMAC-SHA256 (RFC 2104) over {@link Sha256}, and a comparison that does not leak where tags differ. */
final class HmacSha256 {
    private HmacSha256() {
    }

    /** The HMAC of {@code data} under {@code key}. */
    static byte[] mac(byte[] key, byte[] data) {
        byte[] k = key.length > Sha256.BLOCK_LENGTH ? Sha256.digest(key) : key;
        byte[] ipad = new byte[Sha256.BLOCK_LENGTH];
        byte[] opad = new byte[Sha256.BLOCK_LENGTH];
        for (int i = 0; i < Sha256.BLOCK_LENGTH; i++) {
            byte kb = i < k.length ? k[i] : 0;
            ipad[i] = (byte) (kb ^ 0x36);
            opad[i] = (byte) (kb ^ 0x5c);
        }
        byte[] inner = new Sha256().update(ipad, 0, ipad.length).update(data, 0, data.length).digest();
        return new Sha256().update(opad, 0, opad.length).update(inner, 0, inner.length).digest();
    }

    /** Whether {@code a} and {@code b} are equal, in time that depends only on their lengths. */
    static boolean equal(byte[] a, byte[] b) {
        if (a.length != b.length) {
            return false;
        }
        int diff = 0;
        for (int i = 0; i < a.length; i++) {
            diff |= a[i] ^ b[i];
        }
        return diff == 0;
    }
}
