package acme.secure_buffer.hyp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.SplittableRandom;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

/** The EL2 SHA-256 and HMAC agree with the JDK's on every length around the block boundaries. */
class HmacSha256Test {

    @Test
    void sha256MatchesTheJdkOnEveryLengthUpToThreeBlocks() throws Exception {
        SplittableRandom random = new SplittableRandom(5);
        for (int len = 0; len <= 3 * Sha256.BLOCK_LENGTH + 1; len++) {
            byte[] data = new byte[len];
            random.nextBytes(data);
            assertArrayEquals(MessageDigest.getInstance("SHA-256").digest(data), Sha256.digest(data), "length " + len);
        }
    }

    @Test
    void hmacMatchesTheJdkForShortAndLongKeys() throws Exception {
        SplittableRandom random = new SplittableRandom(7);
        for (int keyLen : new int[] {1, 4, 32, 64, 65, 131}) {
            byte[] key = new byte[keyLen];
            byte[] data = new byte[keyLen * 3 + 1];
            random.nextBytes(key);
            random.nextBytes(data);
            Mac jdk = Mac.getInstance("HmacSHA256");
            jdk.init(new SecretKeySpec(key, "HmacSHA256"));
            assertArrayEquals(jdk.doFinal(data), HmacSha256.mac(key, data), "key length " + keyLen);
        }
    }

    @Test
    void theSelftestVectorIsRfc4231TestCase2() {
        byte[] tag = HmacSha256.mac("Jefe".getBytes(StandardCharsets.US_ASCII),
                "what do ya want for nothing?".getBytes(StandardCharsets.US_ASCII));
        assertArrayEquals(SecureBufferHyp.RFC4231_CASE2, tag);
        assertTrue(HmacSha256.equal(tag, tag.clone()));
        tag[31] ^= 1;
        assertFalse(HmacSha256.equal(tag, SecureBufferHyp.RFC4231_CASE2));
    }
}
