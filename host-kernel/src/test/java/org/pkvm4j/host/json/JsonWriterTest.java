package org.pkvm4j.host.json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class JsonWriterTest {

    @Test
    void writesNestedDocuments() {
        StringBuilder sb = new StringBuilder();
        JsonWriter json = new JsonWriter(sb);
        json.beginObject()
                .member("name", "kvstore")
                .member("hvcs", 4)
                .member("ok", true)
                .name("list").beginArray().value(1).value("two").nullValue().beginObject().endObject().endArray()
                .name("empty").beginArray().endArray()
                .name("ratio").value(1.5)
                .endObject()
                .finish();
        assertEquals("{\"name\":\"kvstore\",\"hvcs\":4,\"ok\":true,\"list\":[1,\"two\",null,{}],\"empty\":[],\"ratio\":1.5}",
                sb.toString());
    }

    @Test
    void escapesStringsAsTheRfcRequires() {
        StringBuilder sb = new StringBuilder();
        new JsonWriter(sb).value("a\"b\\c\nd\u0001é").finish();
        assertEquals("\"a\\\"b\\\\c\\nd\\u0001é\"", sb.toString());
    }

    @Test
    void refusesMalformedDocuments() {
        assertThrows(IllegalStateException.class, () -> new JsonWriter(new StringBuilder()).beginObject().value(1));
        assertThrows(IllegalStateException.class, () -> new JsonWriter(new StringBuilder()).beginArray().endObject());
        assertThrows(IllegalStateException.class, () -> new JsonWriter(new StringBuilder()).beginObject().name("a").endObject());
        assertThrows(IllegalStateException.class, () -> new JsonWriter(new StringBuilder()).beginArray().finish());
        assertThrows(IllegalStateException.class, () -> new JsonWriter(new StringBuilder()).value(1).value(2));
        assertThrows(IllegalArgumentException.class, () -> new JsonWriter(new StringBuilder()).value(Double.NaN));
    }
}
