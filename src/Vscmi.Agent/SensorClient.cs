using static Vscmi.Protocol.Messages.SensorMessages;

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
        var descriptors = new List<SensorDescriptionGetResponse.DescriptorsEntry>();
        await foreach (var d in ListAsync(index => new SensorDescriptionGetRequest(index), r => (r.Descriptors, r.Remaining), cancellationToken).ConfigureAwait(false))
            descriptors.Add(d);
        foreach (var d in descriptors)
        {
            var name = await FullNameAsync(d.Name, d.ExtendedName, new SensorNameGetRequest(d.SensorId), n => n.Name, cancellationToken).ConfigureAwait(false);
            yield return new SensorInfo(d.SensorId, name, (byte)d.SensorType, d.UnitExponent, (int)d.NumTripPoints, d.AsyncRead, (int)(d.NumAxes ?? 0));
        }
    }

    /// <summary>SENSOR_READING_GET (synchronous): one reading per axis, one for a scalar sensor.</summary>
    public async Task<IReadOnlyList<SensorReading>> ReadAsync(uint sensorId, CancellationToken cancellationToken = default)
    {
        var r = await CallAsync(new SensorReadingGetRequest(sensorId, Async: false), cancellationToken).ConfigureAwait(false);
        return [.. r.Readings.Select(x => new SensorReading(x.Value, x.Timestamp ?? 0))];
    }

    /// <summary>SENSOR_AXIS_DESCRIPTION_GET, every part (multi-axis sensors).</summary>
    public async IAsyncEnumerable<SensorAxisInfo> DescribeAxesAsync(uint sensorId, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var a in ListAsync(index => new SensorAxisDescriptionGetRequest(sensorId, index), r => (r.Axes, r.Remaining), cancellationToken).ConfigureAwait(false))
            yield return new SensorAxisInfo(a.AxisId, a.Name, (byte)a.AxisType, a.UnitExponent, a.ExtendedName);
    }

    /// <summary>SENSOR_AXIS_NAME_GET, every part: extended axis names by axis id.</summary>
    public async IAsyncEnumerable<(uint AxisId, string Name)> GetAxisNamesAsync(uint sensorId, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var a in ListAsync(index => new SensorAxisNameGetRequest(sensorId, index), r => (r.Axes, r.Remaining), cancellationToken).ConfigureAwait(false))
            yield return (a.AxisId, a.Name);
    }

    /// <summary>SENSOR_NAME_GET.</summary>
    public async Task<string> GetNameAsync(uint sensorId, CancellationToken cancellationToken = default) =>
        (await CallAsync(new SensorNameGetRequest(sensorId), cancellationToken).ConfigureAwait(false)).Name;

    /// <summary>SENSOR_READING_GET with the asynchronous flag: the readings of the delayed response.</summary>
    public async Task<IReadOnlyList<SensorReading>> ReadAndWaitAsync(uint sensorId, CancellationToken cancellationToken = default)
    {
        var delayed = await CallAndWaitAsync<SensorReadingGetDelayed>(new SensorReadingGetRequest(sensorId, Async: true), cancellationToken).ConfigureAwait(false);
        // Sensor v1.0 (SCMI 2.0) completes with one bare value; later versions with readings.
        return delayed.Readings is { } readings
            ? [.. readings.Select(x => new SensorReading(x.Value, x.Timestamp))]
            : [new SensorReading(delayed.Value ?? 0, 0)];
    }

    /// <summary>SENSOR_TRIP_POINT_NOTIFY.</summary>
    public Task NotifyTripPointsAsync(uint sensorId, bool enable, CancellationToken cancellationToken = default) =>
        CallAsync(new SensorTripPointNotifyRequest(sensorId, enable), cancellationToken);

    /// <summary>SENSOR_TRIP_POINT_CONFIG: direction 0 disabled, 1 positive, 2 negative, 3 both.</summary>
    public Task ConfigureTripPointAsync(uint sensorId, uint tripPointId, uint direction, long value, CancellationToken cancellationToken = default) =>
        CallAsync(new SensorTripPointConfigRequest(sensorId, direction, tripPointId, value), cancellationToken);

    /// <summary>SENSOR_LIST_UPDATE_INTERVALS, every part, as (seconds, exponent) pairs.</summary>
    public async IAsyncEnumerable<(uint Seconds, int Exponent)> ListUpdateIntervalsAsync(uint sensorId, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var i in ListAsync(index => new SensorListUpdateIntervalsRequest(sensorId, index), r => (r.Intervals, r.Remaining), cancellationToken).ConfigureAwait(false))
            yield return (i.Seconds, i.Exponent);
    }

    /// <summary>SENSOR_CONFIG_GET.</summary>
    public async Task<(bool Enabled, uint IntervalSeconds, int IntervalExponent)> GetConfigAsync(uint sensorId, CancellationToken cancellationToken = default)
    {
        var c = await CallAsync(new SensorConfigGetRequest(sensorId), cancellationToken).ConfigureAwait(false);
        return (c.Enabled, c.UpdateIntervalSeconds, c.UpdateIntervalExponent);
    }

    /// <summary>SENSOR_CONFIG_SET.</summary>
    public Task SetConfigAsync(uint sensorId, bool enabled, uint intervalSeconds = 0, int intervalExponent = 0, CancellationToken cancellationToken = default) =>
        CallAsync(new SensorConfigSetRequest(sensorId, intervalSeconds, intervalExponent, Timestamping: false, enabled, Rounding: 0), cancellationToken);

    /// <summary>SENSOR_CONTINUOUS_UPDATE_NOTIFY.</summary>
    public Task NotifyContinuousUpdatesAsync(uint sensorId, bool enable, CancellationToken cancellationToken = default) =>
        CallAsync(new SensorContinuousUpdateNotifyRequest(sensorId, enable), cancellationToken);
}

/// <summary>A sensor.</summary>
public sealed record SensorInfo(uint Id, string Name, byte UnitType, int UnitExponent, int TripPoints, bool AsyncRead, int Axes);

/// <summary>An axis of a multi-axis sensor.</summary>
public sealed record SensorAxisInfo(uint Id, string Name, byte UnitType, int UnitExponent, bool ExtendedName);

/// <summary>A reading: value in units of 10^unit_exponent, and a timestamp (0 when not supported).</summary>
public sealed record SensorReading(long Value, ulong Timestamp);
