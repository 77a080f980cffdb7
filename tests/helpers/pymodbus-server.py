"""A Modbus TCP server that is not ours: Debian's pymodbus, serving fixed holding registers.

Usage: pymodbus-server.py PORT UNIT '{"0": 0, "4": 1}'. Prints "ready" once listening, so that the test
that starts it waits on that line rather than on a delay.
"""
import asyncio
import json
import sys

from pymodbus.datastore import ModbusSequentialDataBlock, ModbusServerContext, ModbusSlaveContext
from pymodbus.server import StartAsyncTcpServer


async def main() -> None:
    port, unit, registers = int(sys.argv[1]), int(sys.argv[2]), json.loads(sys.argv[3])
    values = [0] * 128
    for address, value in registers.items():
        values[int(address)] = value
    # pymodbus stores register n at index n + 1 of a block starting at 0: the block starts at 1 so that
    # protocol address n reads values[n].
    block = ModbusSequentialDataBlock(1, values)
    slave = ModbusSlaveContext(hr=block, ir=ModbusSequentialDataBlock(1, values), zero_mode=False)
    context = ModbusServerContext(slaves={unit: slave}, single=False)
    loop = asyncio.get_running_loop()
    loop.call_later(0.2, lambda: print("ready", flush=True))
    await StartAsyncTcpServer(context, address=("127.0.0.1", port))


asyncio.run(main())
