package org.pkvm4j.cli.explore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class ShardTest {

    @Test
    void parsesIOfN() {
        assertEquals(new Shard(2, 4), Shard.parse("2/4"));
        assertEquals("2/4", new Shard(2, 4).toString());
        assertEquals(Shard.ALL, Shard.parse("0/1"));
    }

    @Test
    void refusesWhatIsNotAShard() {
        for (String bad : new String[] {"4/4", "-1/4", "0/0", "1", "a/b", "1/"}) {
            assertThrows(IllegalArgumentException.class, () -> Shard.parse(bad), bad);
        }
    }

    @Test
    void everyClassBelongsToExactlyOneShard() {
        for (int c = 0; c < 100; c++) {
            int owners = 0;
            for (int i = 0; i < 4; i++) {
                owners += new Shard(i, 4).owns(c) ? 1 : 0;
            }
            assertEquals(1, owners, "class " + c);
        }
    }
}
