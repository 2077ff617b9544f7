package org.pkvm4j.host.trace;

import java.io.Writer;
import tools.jackson.core.JsonGenerator;
import tools.jackson.core.ObjectWriteContext;
import tools.jackson.core.StreamWriteFeature;
import tools.jackson.core.json.JsonFactory;
import tools.jackson.core.json.JsonWriteFeature;

/**
 * The one JSON configuration of everything pkvm4j writes: traces, the measurement log, the CLI's
 * {@code --json} reports. Jackson core's streaming generator (docs/adr/0012-house-split.md): a
 * long boot's trace is written as it happens, never held as a tree.
 *
 * <p>Compact output, {@code "/"} not escaped, control characters escaped with lower-case hex digits:
 * the documents byte for byte as pkvm4j wrote them before Jackson. The generator never closes the writer it
 * was given (the CLI writes to stdout), nor closes open scopes by itself: {@link #finish} refuses a
 * document left unbalanced, so a malformed document is a programming error, not a silent fix-up.
 */
public final class JsonOutput {
    // Immutable once built, and thread-safe: Jackson's factories are meant to be shared.
    private static final JsonFactory FACTORY = JsonFactory.builder()
            .disable(StreamWriteFeature.AUTO_CLOSE_TARGET)
            .disable(StreamWriteFeature.AUTO_CLOSE_CONTENT)
            .disable(JsonWriteFeature.ESCAPE_FORWARD_SLASHES)
            .disable(JsonWriteFeature.WRITE_HEX_UPPER_CASE)
            .build();

    private JsonOutput() {
    }

    /** A generator of one document to {@code out}; write errors surface as Jackson's unchecked exceptions. */
    public static JsonGenerator generator(Writer out) {
        return FACTORY.createGenerator(ObjectWriteContext.empty(), out);
    }

    /**
     * Ends the document and flushes it to the writer, which stays open.
     *
     * @throws IllegalStateException if an object or array is still open
     */
    public static void finish(JsonGenerator json) {
        if (!json.streamWriteContext().inRoot()) {
            throw new IllegalStateException("the JSON document is incomplete: " + json.streamWriteContext().getNestingDepth() + " open");
        }
        json.close();
    }
}
