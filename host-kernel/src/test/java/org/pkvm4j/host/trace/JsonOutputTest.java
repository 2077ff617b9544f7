package org.pkvm4j.host.trace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonGenerator;

/** The JSON configuration writes documents byte for byte as pkvm4j's own writer did before Jackson. */
class JsonOutputTest {

    @Test
    void writesCompactNestedDocuments() {
        StringWriter out = new StringWriter();
        JsonGenerator json = JsonOutput.generator(out);
        json.writeStartObject()
                .writeStringProperty("name", "kvstore")
                .writeNumberProperty("hvcs", 4)
                .writeBooleanProperty("ok", true)
                .writeName("list").writeStartArray().writeNumber(1).writeString("two").writeNull()
                .writeStartObject().writeEndObject().writeEndArray()
                .writeName("empty").writeStartArray().writeEndArray()
                .writeName("ratio").writeNumber(1.5)
                .writeStringProperty("missing", null)
                .writeEndObject();
        JsonOutput.finish(json);
        assertEquals("{\"name\":\"kvstore\",\"hvcs\":4,\"ok\":true,\"list\":[1,\"two\",null,{}],\"empty\":[],\"ratio\":1.5,"
                + "\"missing\":null}", out.toString());
    }

    @Test
    void escapesAsBeforeAndLeavesSlashesAndNonAsciiAlone() {
        StringWriter out = new StringWriter();
        JsonGenerator json = JsonOutput.generator(out).writeString("a\"b\\c\nd\u0001\u001fé/e\tf");
        JsonOutput.finish(json);
        assertEquals("\"a\\\"b\\\\c\\nd\\u0001\\u001fé/e\\tf\"", out.toString());
    }

    @Test
    void finishingLeavesTheWriterOpen() {
        StringWriter out = new StringWriter();
        JsonOutput.finish(JsonOutput.generator(out).writeStartArray().writeEndArray());
        out.write('\n');
        assertEquals("[]\n", out.toString());
    }

    @Test
    void refusesMalformedDocuments() {
        assertThrows(JacksonException.class, () -> JsonOutput.generator(new StringWriter()).writeStartObject().writeNumber(1));
        assertThrows(JacksonException.class, () -> JsonOutput.generator(new StringWriter()).writeStartArray().writeEndObject());
        assertThrows(JacksonException.class, () -> JsonOutput.generator(new StringWriter()).writeStartObject().writeName("a").writeName("b"));
        assertThrows(IllegalStateException.class, () -> JsonOutput.finish(JsonOutput.generator(new StringWriter()).writeStartArray()));
    }
}
