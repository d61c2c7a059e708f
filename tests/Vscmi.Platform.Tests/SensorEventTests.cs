using Vscmi.Protocol.Protocols;

namespace Vscmi.Platform.Tests;

/// <summary>Trip points and continuous updates from the model's sources (cpu_temp: 45000 ± 5000 m°C, period 60 s).</summary>
public class SensorEventTests
{
    private readonly ManualTime _time = new();
    private readonly Harness _h;

    public SensorEventTests() => _h = new Harness(time: _time);

    private List<ScmiMessage> Drain()
    {
        var messages = new List<ScmiMessage>();
        while (_h.Session.Outbox.TryRead(out var m))
        {
            _h.Session.MessageDelivered(m);
            messages.Add(ScmiMessageCodec.Decode(m, ScmiMessageKind.Notification));
        }

        return messages;
    }

    private void SampleAt(double seconds)
    {
        _time.Advance(TimeSpan.FromSeconds(seconds) - _h.Platform.Uptime);
        _h.Platform.SampleSensors();
    }

    [Fact]
    public void A_trip_point_crossed_in_its_direction_is_notified_once_per_crossing()
    {
        _h.Ok(SensorMessageId.SENSOR_TRIP_POINT_NOTIFY, ("sensor_id", 0), ("event_control", 1));
        _h.Ok(SensorMessageId.SENSOR_TRIP_POINT_CONFIG, ("sensor_id", 0), ("direction", 1), ("trip_point_id", 0), ("trip_point_value", 48000));
        _h.Ok(SensorMessageId.SENSOR_TRIP_POINT_CONFIG, ("sensor_id", 0), ("direction", 3), ("trip_point_id", 1), ("trip_point_value", 42000));

        SampleAt(0);     // 45000: the baseline was already taken when the trip points were configured
        Assert.Empty(Drain());
        SampleAt(15);    // 50000: crosses 48000 upwards
        Assert.Equal(["SENSOR 0x15 SENSOR_TRIP_POINT_EVENT notification agent_id=0 sensor_id=0 trip_point_id=0 direction=up"], Drain().Select(ScmiFormatter.Format));
        SampleAt(16);    // still above: nothing new
        Assert.Empty(Drain());
        SampleAt(45);    // 40000: crosses 48000 downwards (trip 0 watches upwards only) and 42000 downwards (trip 1 watches both)
        Assert.Equal(["SENSOR 0x15 SENSOR_TRIP_POINT_EVENT notification agent_id=0 sensor_id=0 trip_point_id=1 direction=down"], Drain().Select(ScmiFormatter.Format));

        _h.Ok(SensorMessageId.SENSOR_TRIP_POINT_NOTIFY, ("sensor_id", 0), ("event_control", 0));
        SampleAt(75);    // 50000 again: crossings, but nobody listens
        Assert.Empty(Drain());
    }

    [Fact]
    public void Continuous_updates_carry_the_reading()
    {
        Assert.Equal(1ul, _h.Ok(SensorMessageId.SENSOR_DESCRIPTION_GET, ("desc_index", 0)).GetRecords("descriptors")[2].GetUInt64("continuous_update_notify"));
        _h.Ok(SensorMessageId.SENSOR_CONTINUOUS_UPDATE_NOTIFY, ("sensor_id", 2), ("notify_enable", 1));
        SampleAt(1);
        SampleAt(2);
        var updates = Drain();
        Assert.Equal(2, updates.Count);
        Assert.All(updates, u => Assert.Equal(("SENSOR_UPDATE", 2ul, 900L), (u.Name, u.Fields.GetUInt64("sensor_id"), u.Fields.GetRecords("readings").Single().GetInt64("value"))));

        _h.Ok(SensorMessageId.SENSOR_CONFIG_SET, ("sensor_id", 2), ("enabled", 0));
        SampleAt(3);     // a disabled sensor sends nothing
        Assert.Empty(Drain());
        _h.Ok(SensorMessageId.SENSOR_CONTINUOUS_UPDATE_NOTIFY, ("sensor_id", 2), ("notify_enable", 0));
        _h.Ok(SensorMessageId.SENSOR_CONFIG_SET, ("sensor_id", 2), ("enabled", 1));
        SampleAt(4);
        Assert.Empty(Drain());
    }

    [Fact]
    public async Task The_sampler_runs_on_its_own()
    {
        var h = new Harness();
        h.Ok(SensorMessageId.SENSOR_CONTINUOUS_UPDATE_NOTIFY, ("sensor_id", 2), ("notify_enable", 1));
        h.Platform.StartSensorSampling(TimeSpan.FromMilliseconds(20));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var message = await h.Session.Outbox.ReadAsync(timeout.Token);
        Assert.Equal("SENSOR_UPDATE", ScmiMessageCodec.Decode(message, ScmiMessageKind.Notification).Name);
    }
}
