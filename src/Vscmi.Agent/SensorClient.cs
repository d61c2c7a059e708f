using System.Runtime.CompilerServices;
using Vscmi.Protocol;
using Vscmi.Protocol.Protocols;
using Vscmi.Protocol.Schema;

namespace Vscmi.Agent;

/// <summary>Sensor management (0x15, v3.0 layouts).</summary>
public sealed class SensorClient : ProtocolClient
{
    internal SensorClient(ScmiClient client)
        : base(client, ScmiProtocolId.SENSOR)
    {
    }

    /// <summary>SENSOR_DESCRIPTION_GET, every part (+ SENSOR_NAME_GET for long names).</summary>
    public async IAsyncEnumerable<SensorInfo> DescribeAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var descriptors = new List<Protocol.Schema.FieldSet>();
        await foreach (var d in ListAsync((byte)SensorMessageId.SENSOR_DESCRIPTION_GET, "desc_index", "descriptors", _ => [], cancellationToken).ConfigureAwait(false))
            descriptors.Add(d);
        foreach (var d in descriptors)
        {
            var id = (uint)d.GetUInt64("sensor_id");
            var name = await FullNameAsync(d, d.ValueOrZero("extended_name") != 0, (byte)SensorMessageId.SENSOR_NAME_GET, id, cancellationToken, "sensor_id").ConfigureAwait(false);
            yield return new SensorInfo(id, name, (byte)d.GetUInt64("sensor_type"), (int)d.GetInt64("unit_exponent"), (int)d.GetUInt64("num_trip_points"),
                d.GetUInt64("async_read") != 0, (int)d.ValueOrZero("num_axes"));
        }
    }

    /// <summary>SENSOR_READING_GET (synchronous): one reading per axis, one for a scalar sensor.</summary>
    public async Task<IReadOnlyList<SensorReading>> ReadAsync(uint sensorId, CancellationToken cancellationToken = default)
    {
        var r = await CallAsync((byte)SensorMessageId.SENSOR_READING_GET, cancellationToken, ("sensor_id", sensorId), ("async", 0)).ConfigureAwait(false);
        return r.GetRecords("readings").Select(x => new SensorReading(x.GetInt64("value"), x.ValueOrZero("timestamp"))).ToList();
    }

    /// <summary>SENSOR_AXIS_DESCRIPTION_GET, every part (multi-axis sensors).</summary>
    public async IAsyncEnumerable<SensorAxisInfo> DescribeAxesAsync(uint sensorId, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var a in ListAsync((byte)SensorMessageId.SENSOR_AXIS_DESCRIPTION_GET, "axis_desc_index", "axes", _ => [("sensor_id", sensorId)], cancellationToken).ConfigureAwait(false))
        {
            yield return new SensorAxisInfo((uint)a.GetUInt64("axis_id"), a.GetText("name"), (byte)a.GetUInt64("axis_type"), (int)a.GetInt64("unit_exponent"),
                a.ValueOrZero("extended_name") != 0);
        }
    }

    /// <summary>SENSOR_AXIS_NAME_GET, every part: extended axis names by axis id.</summary>
    public async IAsyncEnumerable<(uint AxisId, string Name)> GetAxisNamesAsync(uint sensorId, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var a in ListAsync((byte)SensorMessageId.SENSOR_AXIS_NAME_GET, "axis_desc_index", "axes", _ => [("sensor_id", sensorId)], cancellationToken).ConfigureAwait(false))
            yield return ((uint)a.GetUInt64("axis_id"), a.GetText("name"));
    }

    /// <summary>SENSOR_NAME_GET.</summary>
    public async Task<string> GetNameAsync(uint sensorId, CancellationToken cancellationToken = default) =>
        (await CallAsync((byte)SensorMessageId.SENSOR_NAME_GET, cancellationToken, ("sensor_id", sensorId)).ConfigureAwait(false)).GetText("name");

    /// <summary>SENSOR_READING_GET with the asynchronous flag: the readings of the delayed response.</summary>
    public async Task<IReadOnlyList<SensorReading>> ReadAndWaitAsync(uint sensorId, CancellationToken cancellationToken = default)
    {
        var response = await Client.RequestAsync(Protocol, (byte)SensorMessageId.SENSOR_READING_GET, Args(("sensor_id", sensorId), ("async", 1)), expectDelayed: true, cancellationToken).ConfigureAwait(false);
        response.EnsureSuccess();
        var delayed = await Client.AwaitDelayedAsync(response.Delayed!, "SENSOR_READING_GET", cancellationToken).ConfigureAwait(false);
        if (delayed.Status != 0)
            throw new ScmiStatusException("SENSOR_READING_GET (delayed)", delayed.Status!.Value);
        // Sensor v1.0 (SCMI 2.0) completes with one bare value; later versions with readings.
        if (!delayed.Fields.TryGet("readings", out _))
            return [new SensorReading(delayed.Fields.GetInt64("value"), 0)];
        return delayed.Fields.GetRecords("readings").Select(x => new SensorReading(x.GetInt64("value"), x.ValueOrZero("timestamp"))).ToList();
    }

    /// <summary>SENSOR_TRIP_POINT_NOTIFY.</summary>
    public Task NotifyTripPointsAsync(uint sensorId, bool enable, CancellationToken cancellationToken = default) =>
        CallAsync((byte)SensorMessageId.SENSOR_TRIP_POINT_NOTIFY, cancellationToken, ("sensor_id", sensorId), ("event_control", enable ? 1u : 0));

    /// <summary>SENSOR_TRIP_POINT_CONFIG: direction 0 disabled, 1 positive, 2 negative, 3 both.</summary>
    public Task ConfigureTripPointAsync(uint sensorId, uint tripPointId, uint direction, long value, CancellationToken cancellationToken = default) =>
        CallAsync((byte)SensorMessageId.SENSOR_TRIP_POINT_CONFIG, cancellationToken, ("sensor_id", sensorId), ("direction", direction), ("trip_point_id", tripPointId), ("trip_point_value", unchecked((ulong)value)));

    /// <summary>SENSOR_LIST_UPDATE_INTERVALS, every part, as (seconds, exponent) pairs.</summary>
    public async IAsyncEnumerable<(uint Seconds, int Exponent)> ListUpdateIntervalsAsync(uint sensorId, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var i in ListAsync((byte)SensorMessageId.SENSOR_LIST_UPDATE_INTERVALS, "index", "intervals", _ => [("sensor_id", sensorId)], cancellationToken).ConfigureAwait(false))
            yield return ((uint)i.GetUInt64("seconds"), (int)i.GetInt64("exponent"));
    }

    /// <summary>SENSOR_CONFIG_GET.</summary>
    public async Task<(bool Enabled, uint IntervalSeconds, int IntervalExponent)> GetConfigAsync(uint sensorId, CancellationToken cancellationToken = default)
    {
        var c = await CallAsync((byte)SensorMessageId.SENSOR_CONFIG_GET, cancellationToken, ("sensor_id", sensorId)).ConfigureAwait(false);
        return (c.GetUInt64("enabled") != 0, (uint)c.GetUInt64("update_interval_seconds"), (int)c.GetInt64("update_interval_exponent"));
    }

    /// <summary>SENSOR_CONFIG_SET.</summary>
    public Task SetConfigAsync(uint sensorId, bool enabled, uint intervalSeconds = 0, int intervalExponent = 0, CancellationToken cancellationToken = default) =>
        CallAsync((byte)SensorMessageId.SENSOR_CONFIG_SET, cancellationToken, ("sensor_id", sensorId), ("enabled", enabled ? 1u : 0),
            ("update_interval_seconds", intervalSeconds), ("update_interval_exponent", unchecked((ulong)(long)intervalExponent)));

    /// <summary>SENSOR_CONTINUOUS_UPDATE_NOTIFY.</summary>
    public Task NotifyContinuousUpdatesAsync(uint sensorId, bool enable, CancellationToken cancellationToken = default) =>
        CallAsync((byte)SensorMessageId.SENSOR_CONTINUOUS_UPDATE_NOTIFY, cancellationToken, ("sensor_id", sensorId), ("notify_enable", enable ? 1u : 0));
}

/// <summary>A sensor.</summary>
public sealed record SensorInfo(uint Id, string Name, byte UnitType, int UnitExponent, int TripPoints, bool AsyncRead, int Axes);

/// <summary>An axis of a multi-axis sensor.</summary>
public sealed record SensorAxisInfo(uint Id, string Name, byte UnitType, int UnitExponent, bool ExtendedName);

/// <summary>A reading: value in units of 10^unit_exponent, and a timestamp (0 when not supported).</summary>
public sealed record SensorReading(long Value, ulong Timestamp);
