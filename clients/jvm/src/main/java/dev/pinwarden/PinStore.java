package dev.pinwarden;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A swappable handle on the active pins, shared by the updater (which replaces them) and every
 * trust manager (which reads them on each handshake). {@link #generation()} changes with each
 * replacement; listeners run after it (to drop pooled connections and TLS sessions).
 */
public final class PinStore {
    /** Told after the pins were replaced. */
    public interface Listener {
        void pinsChanged(ActivePins now, long generation);
    }

    private final AtomicReference<ActivePins> active;
    private final AtomicLong generation = new AtomicLong();
    private final List<Listener> listeners = new CopyOnWriteArrayList<Listener>();

    public PinStore(List<PinSet> builtIn) {
        this.active = new AtomicReference<ActivePins>(ActivePins.builtIn(builtIn, -1));
    }

    public PinStore(ActivePins initial) {
        this.active = new AtomicReference<ActivePins>(initial);
    }

    public ActivePins current() {
        return active.get();
    }

    public long generation() {
        return generation.get();
    }

    /** Replaces the pins; handshakes already running keep the old ones. */
    public void replace(ActivePins pins) {
        long g;
        synchronized (this) {
            active.set(pins);
            g = generation.incrementAndGet();
        }
        for (Listener l : listeners) {
            try {
                l.pinsChanged(pins, g);
            } catch (RuntimeException ignored) {
                // A listener's failure never stops the others.
            }
        }
    }

    public void addListener(Listener l) {
        listeners.add(l);
    }

    public void removeListener(Listener l) {
        listeners.remove(l);
    }
}
