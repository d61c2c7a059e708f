using AxisCountWord = Vscmi.Protocol.Fields.SensorBits.SensorAxisDescriptionGet.Response.NumAxisFlags;
using AxisHigh = Vscmi.Protocol.Fields.SensorBits.SensorAxisDescriptionGet.Response.AttributesHigh;
using AxisLow = Vscmi.Protocol.Fields.SensorBits.SensorAxisDescriptionGet.Response.AttributesLow;
using AxisNameCountWord = Vscmi.Protocol.Fields.SensorBits.SensorAxisNameGet.Response.NumAxisFlags;
using Config = Vscmi.Protocol.Fields.SensorBits.SensorConfigSet.Request.SensorConfig;
using ConfigGetWord = Vscmi.Protocol.Fields.SensorBits.SensorConfigGet.Response.SensorConfig;
using CountWord = Vscmi.Protocol.Fields.SensorBits.SensorDescriptionGet.Response.NumSensorFlags;
using High = Vscmi.Protocol.Fields.SensorBits.SensorDescriptionGet.Response.AttributesHigh;
using HighV1 = Vscmi.Protocol.Fields.SensorBits.SensorDescriptionGet.ResponseV1.AttributesHigh;
using Interval = Vscmi.Protocol.Fields.SensorBits.SensorListUpdateIntervals.Response.Interval;
using IntervalsWord = Vscmi.Protocol.Fields.SensorBits.SensorListUpdateIntervals.Response.NumIntervalsFlags;
using ProtocolAttributesWord = Vscmi.Protocol.Fields.SensorBits.ProtocolAttributes.Response.Attributes;
using ReadingFlags = Vscmi.Protocol.Fields.SensorBits.SensorReadingGet.Request.Flags;
using Low = Vscmi.Protocol.Fields.SensorBits.SensorDescriptionGet.Response.AttributesLow;
using TripControl = Vscmi.Protocol.Fields.SensorBits.SensorTripPointConfig.Request.TripPointEvCtrl;

namespace Vscmi.Platform.Handlers;

/// <summary>
/// Sensor management (0x15, v3.0 layouts; reference 2.6). Sensors have 28-byte descriptors (no
/// extended attributes), ids 0..n-1 in descriptor order as Linux requires; a multi-axis sensor
/// has 28-byte axis descriptors and one reading per axis.
/// </summary>
internal sealed class SensorHandler(ScmiPlatform platform) : ProtocolHandler(platform, ScmiProtocolId.SENSOR)
{
    private const int DescriptorSize = 28;
    private const int AxisDescriptorSize = 28;
    private const int AxisNameEntrySize = 68; // axis_id and a 64-byte name

    /// <summary>Sensor v2.0 (SCMI 3.0): timestamped readings, configuration; the update interval leaves the descriptor.</summary>
    private const uint V2 = 0x20000;

    /// <summary>Sensor v3.0 (SCMI 3.1): extended names, of sensors and of axes.</summary>
    private const uint V3 = 0x30000;

    public override void WriteProtocolAttributes(AgentSession agent, ref ScmiWriter reply)
    {
        var anyAsync = agent.HasP2A && Platform.Model.Sensors.Any(s => s.AsyncLatencyUs is not null);
        reply.WriteUInt32(BitField.Put((uint)agent.VisibleCount(Model.ResourceKind.Sensor), ProtocolAttributesWord.NumSensorsMask, ProtocolAttributesWord.NumSensorsShift)
            | (anyAsync ? BitField.Put((uint)AgentSession.MaxPendingAsync, ProtocolAttributesWord.MaxAsyncRequestsMask, ProtocolAttributesWord.MaxAsyncRequestsShift) : 0));
        reply.WriteUInt64(0);
        reply.WriteUInt32(0);
    }

    public override IEnumerable<(byte, MessageHandler)> Commands() =>
    [
        ((byte)SensorMessageId.SENSOR_DESCRIPTION_GET, DescriptionGet),
        ((byte)SensorMessageId.SENSOR_TRIP_POINT_NOTIFY, (ref ScmiRequest r, ref ScmiWriter w) => Subscribe(ref r, Model.ResourceKind.Sensor, (byte)SensorMessageId.SENSOR_TRIP_POINT_NOTIFY)),
        ((byte)SensorMessageId.SENSOR_TRIP_POINT_CONFIG, TripPointConfig),
        ((byte)SensorMessageId.SENSOR_READING_GET, ReadingGet),
        ((byte)SensorMessageId.SENSOR_AXIS_DESCRIPTION_GET, AxisDescriptionGet),
        ((byte)SensorMessageId.SENSOR_LIST_UPDATE_INTERVALS, ListUpdateIntervals),
        ((byte)SensorMessageId.SENSOR_CONFIG_GET, ConfigGet),
        ((byte)SensorMessageId.SENSOR_CONFIG_SET, ConfigSet),
        ((byte)SensorMessageId.SENSOR_CONTINUOUS_UPDATE_NOTIFY, (ref ScmiRequest r, ref ScmiWriter w) => Subscribe(ref r, Model.ResourceKind.Sensor, (byte)SensorMessageId.SENSOR_CONTINUOUS_UPDATE_NOTIFY)),
        ((byte)SensorMessageId.SENSOR_NAME_GET, NameGet),
        ((byte)SensorMessageId.SENSOR_AXIS_NAME_GET, AxisNameGet),
    ];

    private static bool TrySensor(ref ScmiRequest request, out int id) => TryResource(ref request, Model.ResourceKind.Sensor, out id);

    private ScmiStatus DescriptionGet(ref ScmiRequest request, ref ScmiWriter reply)
    {
        var index = request.Params.ReadUInt32();
        var sensors = Platform.Model.Sensors;
        // The agent's own ids, 0..n-1 in descriptor order (Linux indexes its table by sensor_id).
        var visible = request.Agent.VisibleCount(Model.ResourceKind.Sensor);
        if (index > visible || (index == visible && visible > 0))
            return ScmiStatus.INVALID_PARAMETERS;
        var count = Math.Min(visible - (int)index, EntriesThatFit(reply, DescriptorSize));
        reply.WriteUInt32(BitField.Put((uint)count, CountWord.ReturnedMask, CountWord.ReturnedShift)
            | BitField.Put((uint)(visible - (int)index - count), CountWord.RemainingMask, CountWord.RemainingShift));
        for (var i = (int)index; i < index + count; i++)
        {
            request.Agent.TryGlobal(Model.ResourceKind.Sensor, (uint)i, out var global);
            var sensor = sensors[global];
            reply.WriteUInt32((uint)i);
            // Asynchronous reads and continuous updates only with a P2A path.
            var asyncRead = sensor.AsyncLatencyUs is not null && request.Agent.HasP2A ? Low.AsyncRead : 0;
            var continuous = request.Agent.HasP2A ? Low.ContinuousUpdateNotify : 0;
            // Bits a newer sensor version added are reserved in older ones (the served layout says which).
            var low = asyncRead | continuous | (NeedsExtendedName(sensor.Name) ? Low.ExtendedName : 0) | BitField.Put((uint)sensor.TripPoints, Low.NumTripPointsMask, Low.NumTripPointsShift);
            reply.WriteUInt32(low & DefinedEntryBits((byte)SensorMessageId.SENSOR_DESCRIPTION_GET, Low.List, Low.Name));
            // The unit exponent is signed (5 bits); sensor v1.0 (SCMI 2.0) also carries the update
            // interval in this word (31:27 multiplier, 26:22 exponent; reference 2.6).
            var high = BitField.Put(sensor.UnitExponent, High.UnitExponentMask, High.UnitExponentShift) | BitField.Put((uint)sensor.UnitType, High.SensorTypeMask, High.SensorTypeShift);
            if (Version < V2)
                high |= UpdateIntervalV1(sensor.UpdateIntervalSeconds);
            else if (sensor.Axes.Count > 0)
                high |= High.MultiAxis | BitField.Put((uint)sensor.Axes.Count, High.NumAxesMask, High.NumAxesShift);
            reply.WriteUInt32(high);
            WriteShortName(ref reply, sensor.Name);
        }

        return ScmiStatus.SUCCESS;
    }

    private ScmiStatus TripPointConfig(ref ScmiRequest request, ref ScmiWriter reply)
    {
        if (!TrySensor(ref request, out var id))
            return ScmiStatus.NOT_FOUND;
        var control = request.Params.ReadUInt32();
        var value = unchecked((long)request.Params.ReadUInt64());
        var trips = Platform.State.Sensors[id].Trips;
        var tripId = (control & TripControl.TripPointIdMask) >> TripControl.TripPointIdShift;
        if (tripId >= trips.Length)
            return ScmiStatus.INVALID_PARAMETERS;
        trips[tripId] = ((control & TripControl.DirectionMask) >> TripControl.DirectionShift, value);
        // Crossings count from now: the value at configuration is the baseline, not the next sample.
        var state = Platform.State.Sensors[id];
        if (state.Source.TryRead(Platform.Uptime, out var now))
            state.LastSample = now;
        return ScmiStatus.SUCCESS;
    }

    /// <summary>One reading: value and a zero timestamp (timestamps are not advertised).</summary>
    private ScmiStatus ReadingGet(ref ScmiRequest request, ref ScmiWriter reply)
    {
        if (!TrySensor(ref request, out var id))
            return ScmiStatus.NOT_FOUND;
        if ((request.Params.ReadUInt32() & ReadingFlags.Async) != 0)
        {
            // Asynchronous: SUCCESS now; the reading comes in SENSOR_READING_COMPLETE (sensor_id, value, timestamp).
            if (Platform.Model.Sensors[id].AsyncLatencyUs is not { } latency || !request.Agent.HasP2A)
                return ScmiStatus.NOT_SUPPORTED;
            if (!request.Agent.TryBeginAsync())
                return ScmiStatus.BUSY;
            ReadLater(request.Agent, request.Header, latency, id);
            return ScmiStatus.SUCCESS;
        }

        var state = Platform.State.Sensors[id];
        Span<long> values = stackalloc long[MaxReadings];
        if (!state.TryReadAll(Platform.Uptime, values))
            return ScmiStatus.HARDWARE_ERROR;
        if (Version < V2)
        {
            reply.WriteUInt64(unchecked((ulong)values[0])); // v1.0 has the value only (and no axes)
            return ScmiStatus.SUCCESS;
        }

        // v2.0+: one reading per axis (one for a scalar sensor), each with a timestamp (0: not kept).
        for (var axis = 0; axis < state.ReadingCount; axis++)
        {
            reply.WriteUInt64(unchecked((ulong)values[axis]));
            reply.WriteUInt64(0);
        }

        return ScmiStatus.SUCCESS;
    }

    /// <summary>A v1.0 update interval: seconds as a 5-bit multiplier (31:27) and a signed power-of-ten exponent (26:22).</summary>
    private static uint UpdateIntervalV1(uint seconds)
    {
        var exponent = 0u;
        while (seconds > 31)
        {
            seconds = (seconds + 5) / 10;
            exponent++;
        }

        return BitField.Put(seconds, HighV1.UpdateIntervalSecondsMask, HighV1.UpdateIntervalSecondsShift) | BitField.Put(exponent, HighV1.UpdateIntervalExponentMask, HighV1.UpdateIntervalExponentShift);
    }

    private void ReadLater(AgentSession agent, ScmiHeader header, uint latencyUs, int sensor) =>
        Platform.CompleteLater(agent, header, TimeSpan.FromMicroseconds(latencyUs), () =>
        {
            var state = Platform.State.Sensors[sensor];
            var values = new long[MaxReadings];
            state.TryReadAll(Platform.Uptime, values);
            agent.TryLocal(Model.ResourceKind.Sensor, sensor, out var local);
            // v1.0 completes with the bare value, later versions with timestamp-less readings (one per axis): the served layout picks.
            return new SensorMessages.SensorReadingGetDelayed(local)
            {
                Value = values[0],
                Readings = [.. values.Take(state.ReadingCount).Select(v => new SensorMessages.SensorReadingGetDelayed.ReadingsEntry(v, 0))],
            }.ToFields();
        });

    /// <summary>The most readings one sensor returns (the model allows 7 axes).</summary>
    internal const int MaxReadings = 8;

    /// <summary>
    /// A multi-axis sensor's axis descriptors from an index (28 bytes each: axis_id, attributes,
    /// name); a scalar sensor has none (NOT_SUPPORTED), an index past the end is INVALID_PARAMETERS
    /// (reference 1.7, as for sensor descriptors).
    /// </summary>
    private ScmiStatus AxisDescriptionGet(ref ScmiRequest request, ref ScmiWriter reply)
    {
        if (!TrySensor(ref request, out var id))
            return ScmiStatus.NOT_FOUND;
        var sensor = Platform.Model.Sensors[id];
        if (sensor.Axes.Count == 0)
            return ScmiStatus.NOT_SUPPORTED;
        var index = request.Params.ReadUInt32();
        if (index >= sensor.Axes.Count)
            return ScmiStatus.INVALID_PARAMETERS;
        var count = Math.Min(sensor.Axes.Count - (int)index, EntriesThatFit(reply, AxisDescriptorSize));
        reply.WriteUInt32(BitField.Put((uint)count, AxisCountWord.ReturnedMask, AxisCountWord.ReturnedShift)
            | BitField.Put((uint)(sensor.Axes.Count - (int)index - count), AxisCountWord.RemainingMask, AxisCountWord.RemainingShift));
        for (var i = (int)index; i < index + count; i++)
        {
            reply.WriteUInt32((uint)i);
            // Linux asks SENSOR_AXIS_NAME_GET only for axes with bit 9, and only from sensor v3.0.
            var extended = Version >= V3 && NeedsExtendedName(sensor.Axes[i].Name) ? AxisLow.ExtendedName : 0;
            reply.WriteUInt32(extended);
            reply.WriteUInt32(BitField.Put(sensor.UnitExponent, AxisHigh.UnitExponentMask, AxisHigh.UnitExponentShift)
                | BitField.Put((uint)sensor.UnitType, AxisHigh.AxisTypeMask, AxisHigh.AxisTypeShift));
            WriteShortName(ref reply, sensor.Axes[i].Name);
        }

        return ScmiStatus.SUCCESS;
    }

    /// <summary>Axis names of up to 63 characters, one 68-byte entry per reply on a 128-byte channel (v3.0).</summary>
    private ScmiStatus AxisNameGet(ref ScmiRequest request, ref ScmiWriter reply)
    {
        if (!TrySensor(ref request, out var id))
            return ScmiStatus.NOT_FOUND;
        var axes = Platform.Model.Sensors[id].Axes;
        if (axes.Count == 0)
            return ScmiStatus.NOT_SUPPORTED;
        var index = request.Params.ReadUInt32();
        if (index >= axes.Count)
            return ScmiStatus.INVALID_PARAMETERS;
        var count = Math.Min(axes.Count - (int)index, EntriesThatFit(reply, AxisNameEntrySize));
        reply.WriteUInt32(BitField.Put((uint)count, AxisNameCountWord.ReturnedMask, AxisNameCountWord.ReturnedShift)
            | BitField.Put((uint)(axes.Count - (int)index - count), AxisNameCountWord.RemainingMask, AxisNameCountWord.RemainingShift));
        Span<byte> name = stackalloc byte[64];
        for (var i = (int)index; i < index + count; i++)
        {
            reply.WriteUInt32((uint)i);
            name.Clear();
            for (var c = 0; c < Math.Min(axes[i].Name.Length, 63); c++)
                name[c] = (byte)axes[i].Name[c];
            reply.WriteBytes(name);
        }

        return ScmiStatus.SUCCESS;
    }

    /// <summary>One discrete interval: the sensor's update interval in seconds (exponent 0).</summary>
    private ScmiStatus ListUpdateIntervals(ref ScmiRequest request, ref ScmiWriter reply)
    {
        if (!TrySensor(ref request, out var id))
            return ScmiStatus.NOT_FOUND;
        if (request.Params.ReadUInt32() != 0)
            return ScmiStatus.OUT_OF_RANGE;
        reply.WriteUInt32(BitField.Put(1u, IntervalsWord.ReturnedMask, IntervalsWord.ReturnedShift));
        reply.WriteUInt32(BitField.Put(Platform.Model.Sensors[id].UpdateIntervalSeconds, Interval.SecondsMask, Interval.SecondsShift));
        return ScmiStatus.SUCCESS;
    }

    private ScmiStatus ConfigGet(ref ScmiRequest request, ref ScmiWriter reply)
    {
        if (!TrySensor(ref request, out var id))
            return ScmiStatus.NOT_FOUND;
        var state = Platform.State.Sensors[id];
        reply.WriteUInt32(BitField.Put(state.IntervalSeconds, ConfigGetWord.UpdateIntervalSecondsMask, ConfigGetWord.UpdateIntervalSecondsShift)
            | BitField.Put(state.IntervalExponent, ConfigGetWord.UpdateIntervalExponentMask, ConfigGetWord.UpdateIntervalExponentShift)
            | (state.Enabled ? ConfigGetWord.Enabled : 0));
        return ScmiStatus.SUCCESS;
    }

    private ScmiStatus ConfigSet(ref ScmiRequest request, ref ScmiWriter reply)
    {
        if (!TrySensor(ref request, out var id))
            return ScmiStatus.NOT_FOUND;
        var config = request.Params.ReadUInt32();
        if ((config & Config.Timestamping) != 0)
            return ScmiStatus.NOT_SUPPORTED; // timestamping is not supported
        var state = Platform.State.Sensors[id];
        state.Enabled = (config & Config.Enabled) != 0;
        var seconds = BitField.Get(config, Config.UpdateIntervalSecondsMask, Config.UpdateIntervalSecondsShift);
        if (seconds != 0)
        {
            state.IntervalSeconds = seconds;
            state.IntervalExponent = BitField.GetSigned(config, Config.UpdateIntervalExponentMask, Config.UpdateIntervalExponentShift);
        }

        return ScmiStatus.SUCCESS;
    }

    private ScmiStatus NameGet(ref ScmiRequest request, ref ScmiWriter reply) =>
        NameGet(ref request, ref reply, Model.ResourceKind.Sensor, i => Platform.Model.Sensors[i].Name);
}
