package org.pkvm4j.cli.explore;

/**
 * One of {@code total} disjoint parts of an exploration's boot space ({@code pkvm explore --shard
 * I/N}): the classes of boots ({@link OrderReduction.Key}) are numbered in the order of the one-run
 * sequence and class {@code c} goes to shard {@code c mod total}, so every shard's part is known
 * without booting and the parts cover the space exactly once.
 *
 * @param index this shard, from 0
 * @param total how many shards
 */
public record Shard(int index, int total) {
    /** The whole space: one shard. */
    public static final Shard ALL = new Shard(0, 1);

    /** Checks {@code 0 <= index < total}. */
    public Shard {
        if (total < 1 || index < 0 || index >= total) {
            throw new IllegalArgumentException("shard " + index + "/" + total + ": want 0 <= index < total, total >= 1");
        }
    }

    /** {@code I/N}, as {@code --shard} takes it. */
    public static Shard parse(String spec) {
        int slash = spec.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException("--shard wants I/N (e.g. 0/4), was '" + spec + "'");
        }
        try {
            return new Shard(Integer.parseInt(spec.substring(0, slash).trim()), Integer.parseInt(spec.substring(slash + 1).trim()));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--shard wants I/N (e.g. 0/4), was '" + spec + "'");
        }
    }

    /** Whether this shard boots the class numbered {@code classNumber}. */
    public boolean owns(int classNumber) {
        return classNumber % total == index;
    }

    /** Whether this is the whole space. */
    public boolean isAll() {
        return total == 1;
    }

    @Override
    public String toString() {
        return index + "/" + total;
    }
}
