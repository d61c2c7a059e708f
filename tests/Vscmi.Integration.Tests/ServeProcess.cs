using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Vscmi.Integration.Tests;

/// <summary>A running <c>./vscmi serve</c> in its own process, stopped with SIGTERM.</summary>
public sealed class ServeProcess : IAsyncLifetime
{
    private readonly StringBuilder _output = new();
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly string[]? _arguments;
    private readonly string? _executable;
    private readonly IReadOnlyDictionary<string, string>? _environment;
    private Process? _process;

    /// <summary>The default daemon: OSPM on ospm.sock, guest on guest.sock and loopback TCP.</summary>
    public ServeProcess()
    {
    }

    /// <summary>A daemon with these arguments after 'serve'; {dir} stands for <see cref="Directory"/>.</summary>
    private ServeProcess(string[] arguments, string? executable = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        _arguments = arguments;
        _executable = executable;
        _environment = environment;
    }

    /// <summary>The native AOT binary packaging/publish.sh builds (./test builds it when it is missing or stale).</summary>
    public static string AotBinary => Path.Combine(CliProcess.RepositoryRoot, "artifacts", "publish", "linux-x64", "vscmi");

    /// <summary>The daemon's process id.</summary>
    public int ProcessId => _process?.Id ?? throw new InvalidOperationException("not started");

    /// <summary>Starts a daemon with these arguments after 'serve' and waits until it is ready.</summary>
    public static Task<ServeProcess> StartAsync(params string[] arguments) => StartAsync(null, null, arguments);

    /// <summary>
    /// Starts <paramref name="executable"/> (null: the ./vscmi launcher) with 'serve' and these
    /// arguments, with extra environment variables, and waits until it is ready.
    /// </summary>
    public static async Task<ServeProcess> StartAsync(string? executable, IReadOnlyDictionary<string, string>? environment, params string[] arguments)
    {
        var serve = new ServeProcess(arguments, executable, environment);
        try
        {
            await serve.InitializeAsync();
            return serve;
        }
        catch
        {
            await serve.DisposeAsync();
            throw;
        }
    }

    /// <summary>A path inside <see cref="Directory"/>.</summary>
    public string PathOf(string name) => System.IO.Path.Combine(Directory, name);

    public string Directory { get; } = Path.Combine(Path.GetTempPath(), $"vscmi-it-{Guid.NewGuid():N}"[..20]);

    public string OspmSocket => Path.Combine(Directory, "ospm.sock");

    public string GuestSocket => Path.Combine(Directory, "guest.sock");

    /// <summary>The loopback TCP port the default daemon got (it binds port 0 and logs the port it was given).</summary>
    public int TcpPort { get; private set; }

    public string Output
    {
        get
        {
            lock (_output)
                return _output.ToString();
        }
    }

    public async Task InitializeAsync()
    {
        System.IO.Directory.CreateDirectory(Directory);
        // Through env --default-signal: a process started in the background (CI) inherits SIGINT
        // ignored, and under nohup SIGHUP, and the runtime rightly keeps an ignored signal ignored;
        // the daemon a user runs in a terminal or systemd starts gets Ctrl-C and SIGHUP (reload), so
        // the tests give it both at their defaults too (a ./test started by nohup failed every
        // SIGHUP reload test otherwise).
        var start = new ProcessStartInfo("env")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Directory,
        };
        var arguments = _arguments is null
            ? ["--socket", OspmSocket, "--socket", $"guest={GuestSocket}", "--tcp", "guest=127.0.0.1:0"]
            : _arguments.Select(a => a.Replace("{dir}", Directory, StringComparison.Ordinal));
        start.ArgumentList.Add("--default-signal=INT,HUP");
        start.ArgumentList.Add(_executable ?? Path.Combine(CliProcess.RepositoryRoot, "vscmi"));
        foreach (var (name, value) in _environment ?? new Dictionary<string, string>())
            start.Environment[name] = value;
        start.ArgumentList.Add("serve");
        foreach (var arg in arguments)
            start.ArgumentList.Add(arg);
        _process = Process.Start(start)!;
        _process.OutputDataReceived += (_, e) => Collect(e.Data);
        _process.ErrorDataReceived += (_, e) => Collect(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var finished = await Task.WhenAny(_ready.Task, _process.WaitForExitAsync(), Task.Delay(TimeSpan.FromMinutes(3)));
        if (!_ready.Task.IsCompleted)
            throw new InvalidOperationException($"vscmi serve did not become ready:\n{Output}");
        if (System.Text.RegularExpressions.Regex.Match(Output, @"listening on tcp:127\.0\.0\.1:(\d+)") is { Success: true } port)
            TcpPort = int.Parse(port.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Sends SIGTERM (or another signal: "INT" for Ctrl-C) and returns the exit code.</summary>
    public async Task<int> StopAsync(string signal = "TERM")
    {
        if (_process is null || _process.HasExited)
            return _process?.ExitCode ?? -1;
        using (var kill = Process.Start("kill", [$"-{signal}", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            await kill!.WaitForExitAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await _process.WaitForExitAsync(timeout.Token);
        return _process.ExitCode;
    }

    public async Task DisposeAsync()
    {
        try
        {
            await StopAsync();
        }
        catch (OperationCanceledException)
        {
            _process?.Kill(entireProcessTree: true);
        }

        _process?.Dispose();
        if (System.IO.Directory.Exists(Directory))
            System.IO.Directory.Delete(Directory, recursive: true);
    }

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1822", Justification = "Reads as serve.Connect(...) in tests.")]
    public RawClient Connect(string socketPath)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Connect(new UnixDomainSocketEndPoint(socketPath));
        return new RawClient(socket);
    }

    public RawClient ConnectTcp()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Connect(new IPEndPoint(IPAddress.Loopback, TcpPort));
        return new RawClient(socket);
    }

    private void Collect(string? line)
    {
        if (line is null)
            return;
        lock (_output)
            _output.AppendLine(line);
        if (line.Contains("ready:", StringComparison.Ordinal))
            _ready.TrySetResult();
    }
}

/// <summary>Frames by hand: a 4-byte little-endian length, then the message. Nothing from vscmi's own code.</summary>
public sealed class RawClient(Socket socket) : IDisposable
{
    public Socket Socket { get; } = socket;

    /// <summary>Sends 32-bit words as one frame and returns the reply's words.</summary>
    // Notifications and delayed responses are unordered with respect to responses (SCMI; VIRTIO
    // 5.17): one that overtakes the reply is kept for the next ReceiveFrame.
    private readonly Queue<byte[]> _early = new();

    /// <summary>Notifications or delayed responses that arrived while waiting for a reply, not yet received.</summary>
    public int EarlyFrames => _early.Count;

    public uint[] Call(params uint[] words)
    {
        SendFrame(Words(words));
        byte[] reply;
        while (true)
        {
            reply = ReadFrame() ?? throw new InvalidOperationException("the platform closed the connection");
            var header = reply.Length >= 4 ? BinaryPrimitives.ReadUInt32LittleEndian(reply) : 0;
            if (header == words[0] || ((header >> 8) & 0x3) is not (2 or 3))
                break; // the reply echoes our header (even a type-3 one we sent on purpose)
            _early.Enqueue(reply);
        }

        Assert.Equal(0, reply.Length % 4);
        return Enumerable.Range(0, reply.Length / 4).Select(i => BinaryPrimitives.ReadUInt32LittleEndian(reply.AsSpan(i * 4))).ToArray();
    }

    public void SendFrame(byte[] message)
    {
        var frame = new byte[4 + message.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(frame, (uint)message.Length);
        message.CopyTo(frame, 4);
        SendRaw(frame);
    }

    public void SendRaw(byte[] bytes) => Socket.Send(bytes);

    /// <summary>The next frame's message, or null when the platform closed the connection.</summary>
    public byte[]? ReceiveFrame() => _early.Count > 0 ? _early.Dequeue() : ReadFrame();

    private byte[]? ReadFrame()
    {
        Socket.ReceiveTimeout = 10_000;
        var length = ReadExactly(4);
        if (length is null)
            return null;
        return ReadExactly((int)BinaryPrimitives.ReadUInt32LittleEndian(length)) ?? throw new InvalidOperationException("closed inside a frame");
    }

    public static byte[] Words(params uint[] words)
    {
        var bytes = new byte[words.Length * 4];
        for (var i = 0; i < words.Length; i++)
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(i * 4), words[i]);
        return bytes;
    }

    public static string Text(uint[] words, int start, int bytes) =>
        Encoding.ASCII.GetString(Words(words)[(start * 4)..((start * 4) + bytes)]).TrimEnd('\0');

    public void Dispose() => Socket.Dispose();

    private byte[]? ReadExactly(int count)
    {
        var buffer = new byte[count];
        var got = 0;
        while (got < count)
        {
            int n;
            try
            {
                n = Socket.Receive(buffer, got, count - got, SocketFlags.None);
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
            {
                n = 0; // closed with our bytes unread: still a close
            }

            if (n == 0)
                return got == 0 ? null : throw new InvalidOperationException("closed inside a frame");
            got += n;
        }

        return buffer;
    }
}
