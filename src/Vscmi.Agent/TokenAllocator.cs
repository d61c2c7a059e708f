namespace Vscmi.Agent;

/// <summary>
/// Monotonic 10-bit tokens with an in-flight bitmap (Linux <c>scmi_xfer_token_set</c>; STYLE 10).
/// Tokens advance even when earlier ones are free, so a late reply to an old request never meets
/// a new request with the same token; a token stays reserved until released.
/// </summary>
/// <remarks>
/// <code>
///   next ──▶ 0 1 2 3 4 5 ... 1023 ─┐   allocate: first free at or after next (wrapping), then next = token + 1
///            ▲                     │   release:  clear the bit (reply arrived, or a late reply to a timed-out one)
///            └─────────────────────┘
/// </code>
/// </remarks>
internal sealed class TokenAllocator
{
    private const int Count = ScmiHeader.MaxToken + 1;
    private readonly ulong[] _inUse = new ulong[Count / 64];
    private readonly Lock _sync = new();
    private int _next;
    private int _used;

    /// <summary>Tokens currently reserved.</summary>
    public int InUse
    {
        get
        {
            lock (_sync)
                return _used;
        }
    }

    public bool TryAllocate(out ushort token)
    {
        lock (_sync)
        {
            for (var i = 0; i < Count; i++)
            {
                var candidate = (_next + i) % Count;
                ref var word = ref _inUse[candidate / 64];
                var bit = 1UL << (candidate % 64);
                if ((word & bit) != 0)
                    continue;
                word |= bit;
                _next = (candidate + 1) % Count;
                _used++;
                token = (ushort)candidate;
                return true;
            }

            token = 0;
            return false;
        }
    }

    public bool IsReserved(ushort token)
    {
        lock (_sync)
            return (_inUse[token / 64] & (1UL << (token % 64))) != 0;
    }

    public void Release(ushort token)
    {
        lock (_sync)
        {
            ref var word = ref _inUse[token / 64];
            var bit = 1UL << (token % 64);
            if ((word & bit) != 0)
            {
                word &= ~bit;
                _used--;
            }
        }
    }

    /// <summary>Frees every token (the channel was reset).</summary>
    public void Reset()
    {
        lock (_sync)
        {
            Array.Clear(_inUse);
            _used = 0;
        }
    }
}
